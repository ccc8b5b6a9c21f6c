"""`ittifaq export`, `ittifaq import` and `ittifaq render`.

Formats are imported lazily (spaCy and cassis are slow to load), and folders are
written through a staging folder swapped in whole (`io.staged`), so a failure never
leaves half an export and a second run never leaves files of the first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import click

from ittifaq.evaluate.formats.records import validated_records
from ittifaq.evaluate.io.atomic import check_outputs, write_jsonl_atomic
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import jsonl_files
from ittifaq.evaluate.io.staged import write_dir_staged
from ittifaq.evaluate.render.site import render_site

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
    return getattr(importlib.import_module(f"ittifaq.evaluate.formats.{module}"), name)


@click.command()
@click.option("--to", "fmt", type=click.Choice(sorted(EXPORTERS)), required=True, help="Target format.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def export(fmt: str, inputs: tuple[str, ...], out: str) -> None:
    """Export gold JSONL files (or folders) IN… to OUT in another format.

    OUT is a folder for brat and inception, a file for conll (.conll), spacy (.spacy)
    and labelstudio (.json; its labeling config is written beside it).
    """
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


@click.command("import")
@click.option("--from", "fmt", type=click.Choice(sorted(IMPORTERS)), required=True, help="Source format.")
@click.option("--predictions", is_flag=True, help="Validate as predictions (relaxed), not gold.")
@click.option("--offsets", type=click.Choice(["auto", "codepoints", "utf16"]), default="auto", show_default=True,
              help="labelstudio: how region offsets count (auto: by each region's text, or the task's other regions).")
@click.argument("source", type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def import_(fmt: str, predictions: bool, offsets: str, source: str, out: str) -> None:
    """Import SOURCE (a brat/INCEpTION folder, a Label Studio .json, a .spacy file) to JSONL.

    OUT ending in .jsonl gets every document; otherwise OUT is a folder with one
    <split>.jsonl per split (documents without a split go to documents.jsonl).
    The documents are validated first: nothing is written if any is invalid.
    """
    module, reader = IMPORTERS[fmt]
    locations: dict = {}
    read = _format_fn(module, reader)
    if fmt == "brat":
        docs = read(source, locations)
    elif fmt == "labelstudio":
        docs = read(source, offsets)
    else:
        if offsets != "auto":
            raise click.UsageError("--offsets applies to --from labelstudio only")
        docs = read(source)
    records = validated_records(docs, source, predictions, locations)
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
    docs = read_documents(inputs, predictions=bool(gold) or predictions)
    golds = read_documents(gold) if gold else None
    files = write_dir_staged(out, lambda tmp: render_site(docs, tmp, golds, title), "render", [*inputs, *gold])
    click.echo(f"rendered {len(files) - 1} document page(s) and {Path(out) / 'index.html'}", err=True)


