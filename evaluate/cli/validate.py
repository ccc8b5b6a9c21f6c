"""`ittifaq validate`: every problem of JSONL files against schema v1."""

from __future__ import annotations

import sys

import click

from ittifaq.evaluate.io.validation import iter_problems


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--predictions", is_flag=True, help="Relax gold-only rules (entities, attributes, full metadata).")
@click.option("--max-problems", type=click.IntRange(min=0), default=0, help="Stop printing after this many (0 = all).")
def validate(paths: tuple[str, ...], predictions: bool, max_problems: int) -> None:
    """Check JSONL files (or folders of them) against schema v1 and report every problem."""
    n = 0
    for problem in iter_problems(paths, predictions=predictions):
        n += 1
        if not max_problems or n <= max_problems:
            click.echo(str(problem))
    if n:
        click.echo(f"{n} problem(s) found", err=True)
        sys.exit(1)
    click.echo("valid", err=True)
