"""`ittifaq stats`: counts of a corpus per label, attribute, genre, region and split."""

from __future__ import annotations

import click
import orjson

from ittifaq.evaluate.authoring.stats import corpus_stats, stats_table
from ittifaq.evaluate.io.documents import read_documents


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Write a PNG of the distributions.")
def stats(paths: tuple[str, ...], fmt: str, plot: str | None) -> None:
    """Documents, words, spans, relations, entities, quotes, agreements; per genre, region and split."""
    docs = read_documents(paths)
    result = corpus_stats(docs)
    if plot:
        from ittifaq.evaluate.render.plots import plot_stats

        plot_stats(result, plot)
    if fmt == "json":
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    else:
        click.echo(stats_table(result))
