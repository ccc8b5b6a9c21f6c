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
    "conll": ("conll", "read_conll"),
    "hf-ner": ("hf_ner", "read_hf_ner"),
}
#: Token-level formats: their tokens are located in the documents' texts (--text), and what they
#: give back is always validated as predictions (they carry no attributes).
TOKEN_FORMATS = ("conll", "hf-ner")


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
@click.option("--text", "text_files", multiple=True, type=click.Path(exists=True),
              help="conll, hf-ner: JSONL records with id and text the tokens are located in "
                   "(repeatable; default: the bundled corpus).")
@click.option("--tag-field", default="ner_tags", show_default=True,
              help="hf-ner: the field holding each row's tag ids or names.")
@click.argument("source", type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def import_(fmt: str, predictions: bool, offsets: str, text_files: tuple[str, ...], tag_field: str,
            source: str, out: str) -> None:
    """Import SOURCE (a brat/INCEpTION folder, a Label Studio .json, a .spacy file, a CoNLL
    file, `ner`-config JSONL rows) to JSONL.

    OUT ending in .jsonl gets every document; otherwise OUT is a folder with one
    <split>.jsonl per split (documents without a split go to documents.jsonl).
    The documents are validated first: nothing is written if any is invalid.
    conll and hf-ner give prediction records (spans only), ready for `ittifaq score`.
    """
    module, reader = IMPORTERS[fmt]
    locations: dict = {}
    read = _format_fn(module, reader)
    if (text_files or tag_field != "ner_tags") and fmt not in TOKEN_FORMATS:
        raise click.UsageError("--text and --tag-field apply to --from conll and hf-ner only")
    summary = None
    if fmt in TOKEN_FORMATS:
        from ittifaq.evaluate.formats.hf_ner import read_texts
        from ittifaq.evaluate.formats.iob import ImportSummary
        from ittifaq.evaluate.io.documents import corpus_files

        check_outputs([out], [Path(source), *map(Path, text_files)])
        texts = read_texts(text_files or corpus_files())
        summary = ImportSummary()
        predictions = True
        if fmt == "conll":
            docs = read(source, texts, summary)
        else:
            docs = read(source, texts, summary, tag_field)
    elif fmt == "brat":
        docs = read(source, locations)
    elif fmt == "labelstudio":
        docs = read(source, offsets)
    else:
        if offsets != "auto":
            raise click.UsageError("--offsets applies to --from labelstudio only")
        docs = read(source)
    records = validated_records(docs, source, predictions, locations)
    if summary is not None:
        click.echo(f"read {summary.describe()}", err=True)
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


