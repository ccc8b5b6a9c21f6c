"""`ittifaq export`, `ittifaq import`, `ittifaq render` and `ittifaq hub`.

Formats are imported lazily (spaCy and cassis are slow to load), and folders are
written through a staging folder swapped in whole, so a failure never leaves half an
export and a second run never leaves files of the first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from ittifaq.evaluate.reading import InputError

#: format -> (module, writer, "dir" or "file", default suffix for a file output)
EXPORTERS: dict[str, tuple[str, str, str]] = {
    "brat": ("brat", "write_brat", "dir"),
    "conll": ("conll", "write_conll", "file"),
    "spacy": ("spacy_docbin", "write_docbin", "file"),
    "labelstudio": ("labelstudio", "write_labelstudio", "file"),
    "inception": ("inception", "write_inception", "dir"),
}
IMPORTERS: dict[str, tuple[str, str]] = {
    "brat": ("brat", "read_brat"),
    "labelstudio": ("labelstudio", "read_labelstudio"),
    "inception": ("inception", "read_inception"),
    "spacy": ("spacy_docbin", "read_docbin"),
}


def _format_fn(module: str, name: str) -> Callable:
    import importlib

    return getattr(importlib.import_module(f"ittifaq.evaluate.formats.{module}"), name)


#: Left in every folder these commands write: it marks the folder as theirs to replace.
MARKER = ".ittifaq-output"


def write_dir_staged(out: str | os.PathLike[str], write: Callable[[Path], object], command: str,
                     inputs: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Run `write(tmp_dir)` in a staging folder, then swap it in for `out` whole.

    On error `out` is untouched. On success `out` holds this run's files and nothing
    else: files of an earlier run left beside them would be read back with them (a
    folder given as input means its every .jsonl, .ann or .xmi). A non-empty folder
    that an earlier `ittifaq` run did not write is refused, never emptied, and so is a
    folder holding one of the command's `inputs`.
    """
    target = Path(out)
    here = target.resolve()
    for given in inputs:
        src = Path(given).resolve()
        if src == here or here in src.parents:
            raise InputError(f"{target}: holds the input {given}; give another output folder (nothing was written)")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target}: exists and is not a folder (`ittifaq {command}` writes a folder, and replaces it whole)")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise InputError(f"{target}: folder is not empty and was not written by ittifaq; give a new or empty "
                         f"folder (nothing was written)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would become the output folder's mode
    old = target.parent / f"{tmp.name}.old"
    try:
        write(tmp)
        files = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file())
        (tmp / MARKER).write_text(f"Written by `ittifaq {command}`, which replaces this whole folder when it "
                                  f"writes here again.\n", encoding="utf-8")
        if target.exists():
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if old.exists():
                os.rename(old, target)
            raise
        return [target / f for f in files]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


@click.command()
@click.option("--to", "fmt", type=click.Choice(sorted(EXPORTERS)), required=True, help="Target format.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def export(fmt: str, inputs: tuple[str, ...], out: str) -> None:
    """Export gold JSONL files (or folders) IN… to OUT in another format.

    OUT is a folder for brat and inception, a file for conll (.conll), spacy (.spacy)
    and labelstudio (.json; its labeling config is written beside it).
    """
    from ittifaq.evaluate.corpus_io import read_documents
    from ittifaq.evaluate.reading import check_outputs, jsonl_files

    check_outputs([out], jsonl_files(inputs))
    docs = read_documents(inputs)
    module, writer, kind = EXPORTERS[fmt]
    write = _format_fn(module, writer)
    if kind == "dir":
        files = write_dir_staged(out, lambda tmp: write(docs, tmp), f"export --to {fmt}", inputs)
    else:
        if Path(out).is_dir():
            raise InputError(f"{out}: is a folder ({fmt} writes one file)")
        files = write(docs, out)
    click.echo(f"exported {len(docs)} document(s) to {fmt}: {len(files)} file(s) under {out}", err=True)


def _validated_records(docs: list, source: str, predictions: bool, locations: dict | None = None) -> list[dict]:
    """The documents' records, or an error listing every problem; `locations` (see
    `brat.read_brat`) puts a finding on the source line it came from."""
    from dataclasses import replace

    from ittifaq.evaluate.validation import check_record

    records = [d.to_dict() for d in docs]
    problems = []
    seen: set[str] = set()
    for n, rec in enumerate(records, start=1):
        problems += check_record(rec, source, n, predictions=predictions)
        if rec["id"] in seen:
            raise InputError(f"{source}: document id {rec['id']!r} appears twice")
        seen.add(rec["id"])
    located = []
    for problem in problems:
        where = (locations or {}).get((problem.doc_id, problem.item_id))
        if where:
            path, line, original = where
            problem = replace(problem, path=path, line=line, item_id=f"{problem.item_id} (brat {original})")
        located.append((where is not None, problem))
    if problems:
        shown = "\n".join(str(p) for _, p in located[:50])
        note = "" if all(ok for ok, _ in located) else (
            " (a number after the source is the document's position in the import, not a line)")
        raise InputError(f"{len(problems)} problem(s) in the imported documents{note}:\n{shown}")
    return records


@click.command("import")
@click.option("--from", "fmt", type=click.Choice(sorted(IMPORTERS)), required=True, help="Source format.")
@click.option("--predictions", is_flag=True, help="Validate as predictions (relaxed), not gold.")
@click.argument("source", type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def import_(fmt: str, predictions: bool, source: str, out: str) -> None:
    """Import SOURCE (a brat/INCEpTION folder, a Label Studio .json, a .spacy file) to JSONL.

    OUT ending in .jsonl gets every document; otherwise OUT is a folder with one
    <split>.jsonl per split (documents without a split go to documents.jsonl).
    The documents are validated first: nothing is written if any is invalid.
    """
    from ittifaq.evaluate.reading import write_jsonl_atomic

    module, reader = IMPORTERS[fmt]
    locations: dict = {}
    docs = _format_fn(module, reader)(source, locations) if fmt == "brat" else _format_fn(module, reader)(source)
    records = _validated_records(docs, source, predictions, locations)
    if out.endswith(".jsonl"):
        write_jsonl_atomic(out, records)
        click.echo(f"imported {len(records)} document(s) into {out}", err=True)
        return
    groups: dict[str, list[dict]] = {}
    for rec in records:
        groups.setdefault(f"{rec.get('split') or 'documents'}.jsonl", []).append(rec)

    def write(tmp: Path) -> None:
        for name, recs in groups.items():
            write_jsonl_atomic(tmp / name, recs)

    files = write_dir_staged(out, write, "import", [source])
    click.echo(f"imported {len(records)} document(s) into {', '.join(map(str, files))}", err=True)


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--gold", "gold", multiple=True, type=click.Path(exists=True),
              help="Gold JSONL (repeatable); INPUTS are then predictions shown as a diff against it.")
@click.option("--predictions", is_flag=True, help="INPUTS are predictions (with text), shown without a diff.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--title", default="ittifaq", show_default=True, help="Title of the index page.")
def render(inputs: tuple[str, ...], gold: tuple[str, ...], predictions: bool, out: str, title: str) -> None:
    """Write a static right-to-left HTML browser of INPUTS (a corpus or predictions) to --out."""
    from ittifaq.evaluate.corpus_io import read_documents
    from ittifaq.evaluate.formats.render import render_site

    docs = read_documents(inputs, predictions=bool(gold) or predictions)
    golds = read_documents(gold) if gold else None
    files = write_dir_staged(out, lambda tmp: render_site(docs, tmp, golds, title), "render", [*inputs, *gold])
    click.echo(f"rendered {len(files) - 1} document page(s) and {Path(out) / 'index.html'}", err=True)


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
    import yaml

    from ittifaq.evaluate.corpus_io import REPO_ROOT
    from ittifaq.evaluate.formats import hub as hub_mod

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
