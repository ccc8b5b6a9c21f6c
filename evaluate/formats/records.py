"""Document-level fields that interchange formats keep beside the text.

brat, Label Studio and INCEpTION have no slot for our article metadata (title,
date, genre, …), so each format stores this one dict its own way; keeping the list
here means a new field cannot be forgotten by one exporter.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.validation import check_record
from ittifaq.evaluate.schema import Document

#: Document keys other than id, text, spans and relations.
META_KEYS: tuple[str, ...] = ("title", "date", "genre", "region", "split", "grounding", "origin", "annotators")
_LIST_KEYS = ("grounding", "annotators")


def doc_metadata(doc: Document) -> dict[str, Any]:
    """The document-level fields of `doc`, in canonical order."""
    full = doc.to_dict()
    return {k: full[k] for k in META_KEYS}


def apply_metadata(doc: Document, meta: dict[str, Any], where: str) -> None:
    """Set the document-level fields of `doc` from `meta` (missing keys stay empty)."""
    unknown = sorted(set(meta) - set(META_KEYS) - {"id"})
    if unknown:
        raise InputError(f"{where}: unknown document field(s) {', '.join(unknown)}")
    for key in META_KEYS:
        value = meta.get(key)
        if key in _LIST_KEYS:
            value = list(value or [])
        setattr(doc, key, value)


def check_span_texts(doc: Document, where: str) -> None:
    """Fill each span's text from the document text, so an import cannot disagree with it."""
    text = doc.text or ""
    for s in doc.spans:
        if not (0 <= s.start < s.end <= len(text)):
            raise InputError(f"{where}: doc {doc.id} | span {s.id} | offsets {s.start}-{s.end} outside the text ({len(text)} characters)")
        s.text = text[s.start : s.end]


def validated_records(docs: list, source: str, predictions: bool, locations: dict | None = None) -> list[dict]:
    """The documents' records, or an error listing every problem; `locations` (see
    `brat.read_brat`) puts a finding on the source line it came from."""
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
