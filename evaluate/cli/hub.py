"""`ittifaq hub push`: publish a clone's corpus/ to the HuggingFace Hub."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import yaml

from ittifaq.evaluate.authoring import hub as hub_mod
from ittifaq.evaluate.io.documents import REPO_ROOT


@click.group()
def hub() -> None:
    """Publish the corpus to the HuggingFace Hub."""


@hub.command("push")
@click.option("--repo-id", required=True, help="ORG/NAME of the dataset repository.")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--dry-run", is_flag=True, help="Validate and list the files and card metadata; upload nothing.")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Corpus folder (default: corpus/ of the clone holding the current folder).")
def hub_push(repo_id: str, private: bool, dry_run: bool, corpus_dir: str | None) -> None:
    """Validate corpus/, then upload its card and data files as a dataset repository."""
    hub_mod.check_repo_id(repo_id)
    if corpus_dir:
        root = Path(corpus_dir)
    else:
        found = hub_mod.clone_corpus(Path.cwd(), REPO_ROOT)
        if found is None:
            raise click.UsageError("no clone of ittifaq here (a folder with corpus/sources and pyproject.toml): "
                                   "give the corpus folder to push with --corpus")
        root = found
        click.echo(f"corpus folder: {root}", err=True)
    if dry_run:
        files, meta = hub_mod.check_corpus(root)
        click.echo(f"dry run: would push {len(files)} file(s) from {root} to dataset {repo_id} "
                   f"({'private' if private else 'public'}):")
        for rel in files:
            click.echo(f"  {rel}\t{(root / rel).stat().st_size} bytes")
        click.echo("card metadata:")
        click.echo(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000).rstrip())
        return
    with tempfile.TemporaryDirectory(prefix="ittifaq-hub-") as staging:
        info = hub_mod.push(root, repo_id, private, staging)
    click.echo(f"pushed to dataset {repo_id}: {getattr(info, 'commit_url', info)}")
