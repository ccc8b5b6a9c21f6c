"""`ittifaq events`: the agreement and quote tables of gold or predicted documents."""

from __future__ import annotations

import click


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def events(paths: tuple[str, ...], out: str, fmt: str) -> None:
    """One row per agreement (date, type, CAMEO/PLOVER, status, parties) and per quote (speaker, role, cue,
    agreement) from PATHS (JSONL files, annotate's shards or OUTDIR), written to OUT/agreements.FMT and
    OUT/quotes.FMT."""
    from ittifaq.evaluate.archive.event_files import write_event_tables

    agreements, n_agreements, quotes, n_quotes = write_event_tables(paths, out, fmt)
    click.echo(f"wrote {n_agreements} agreement row(s) to {agreements} and {n_quotes} quote row(s) to {quotes}", err=True)
