"""`ittifaq validate` and `ittifaq stats`."""

from __future__ import annotations

import sys

import click
import orjson

from ittifaq.evaluate.validation import iter_problems


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


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Write a PNG of the distributions.")
def stats(paths: tuple[str, ...], fmt: str, plot: str | None) -> None:
    """Documents, words, spans, relations, entities, quotes, agreements; per genre, region and split."""
    from ittifaq.evaluate.corpus_io import read_documents
    from ittifaq.evaluate.corpus_stats import corpus_stats, stats_table

    docs = read_documents(paths)
    result = corpus_stats(docs)
    if plot:
        from ittifaq.evaluate.plots import plot_stats

        plot_stats(result, plot)
    if fmt == "json":
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    else:
        click.echo(stats_table(result))
