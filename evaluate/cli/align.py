"""`ittifaq align`: an LLM run's string answers anchored to offsets, as a validated prediction file
plus the alignment record (`--report`) that `ittifaq score --alignment` reads."""

from __future__ import annotations

import click

from ittifaq.evaluate.io.atomic import check_outputs, write_outputs
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import SPLITS


@click.command()
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--gold", "gold", multiple=True, type=click.Path(exists=True), help="The documents prompted for (default: the bundled split).")
@click.option("--split", type=click.Choice(SPLITS), default="test", show_default=True, help="Bundled split when --gold is not given.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The prediction file (JSON Lines).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="The alignment record (default: OUT with .alignment.json).")
def align(responses, gold, split, out, report_path) -> None:  # noqa: ANN001
    """Anchor the answers of `ittifaq llm run` to character offsets; list and count what cannot be anchored."""
    import orjson

    from ittifaq.evaluate.io.documents import load_corpus, read_documents
    from ittifaq.evaluate.io.validation import check_record
    from ittifaq.evaluate.llm.records import read_records
    from ittifaq.evaluate.llm.summary import align_run

    report_path = report_path or (out[:-6] if out.endswith(".jsonl") else out) + ".alignment.json"
    check_outputs([out, report_path], [responses, *gold])
    docs = read_documents(list(gold)) if gold else load_corpus(split)
    records = read_records(responses, need=("id", "answer"), what="response record of `ittifaq llm run`")
    preds, record = align_run(records, docs)
    lines = []
    for d in preds:
        rec = {"id": d.id, "text": d.text, "spans": [s.to_dict() for s in d.spans], "relations": [r.to_dict() for r in d.relations]}
        problems = check_record(rec, out, predictions=True)
        if problems:
            raise InputError(f"{d.id}: the aligned prediction breaks a rule ({problems[0].message}); please report this")
        lines.append(orjson.dumps(rec) + b"\n")
    write_outputs({out: b"".join(lines), report_path: orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"})
    un = record["unanchored"]
    click.echo(f"{len(preds)} document(s), {len(record['failed_documents'])} without a usable answer; "
               f"{sum(len(d.spans) for d in preds)} span(s) anchored ({record['anchored_by'] or 'none'}); "
               f"{un['total']} item(s) unanchored ({un['reasons'] or 'none'})", err=True)
    click.echo(f"-> {out}, {report_path}", err=True)
