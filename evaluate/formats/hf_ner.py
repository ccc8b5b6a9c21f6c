"""Rows in the layout of the `ner` config (as a HuggingFace `Trainer.predict` loop writes them) back to documents.

One JSON object per line::

    {"id": "<doc id>-003", "document_id": "<doc id>", "tokens": ["قال", …], "ner_tags": [0, 5, …]}

`tokens` are the config's tokens (the project's tokenizer); the tag field (``ner_tags``
unless told otherwise) holds ClassLabel ids or tag names of `schema.NER_TAGS`, one per
token. `document_id` may be left out when `id` is ``<doc id>-<row number>``, as the config
writes it. A document's rows are taken in file order and their tokens located, one
after the other, in the document's text, so offsets are exact; tags are read as
seqeval's strict IOB2 mode reads them (`formats.iob`).

What the `ner` config cannot carry, and this import cannot give back: every span that is
not an actor (AGREEMENT, QUOTE, CUE), actors nested inside another actor (the config
keeps the outermost), entity ids, attributes and relations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ittifaq.evaluate.formats.iob import ImportSummary, check_tag, decode_iob2, locate_tokens
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import iter_records
from ittifaq.evaluate.schema import ACTOR_LABELS, NER_TAGS, Document, Span

_ROW_SUFFIX = re.compile(r"-\d+$")
DEFAULT_TAG_FIELD = "ner_tags"


def read_texts(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """Document id -> text from JSONL records holding both (gold files, prediction files, raw records)."""
    texts: dict[str, str] = {}
    for line in iter_records(paths):
        where = f"{line.path}:{line.lineno}"
        if line.error:
            raise InputError(f"{where}: {line.error}")
        doc_id, text = line.record.get("id"), line.record.get("text")
        if not isinstance(doc_id, str) or not isinstance(text, str):
            raise InputError(f"{where}: a text record needs a string id and a string text")
        if doc_id in texts:
            raise InputError(f"{where}: doc {doc_id} | document id appears twice in the texts")
        texts[doc_id] = text
    return texts


def _tag_names(raw: object, doc_id: str, row_id: str, where: str, tag_field: str) -> list[str]:
    if not isinstance(raw, list):
        raise InputError(f"{where}: doc {doc_id} | row {row_id} | field {tag_field} must be a list")
    names: list[str] = []
    for k, t in enumerate(raw):
        if isinstance(t, bool) or not isinstance(t, (int, str)):
            raise InputError(f"{where}: doc {doc_id} | row {row_id} | tag {k} | must be a tag id or name, not {t!r}")
        if isinstance(t, int):
            if not 0 <= t < len(NER_TAGS):
                raise InputError(f"{where}: doc {doc_id} | row {row_id} | tag {k} | id {t} outside 0..{len(NER_TAGS) - 1}")
            t = NER_TAGS[t]
        names.append(t)
    return names


def read_hf_ner(
    path: str | os.PathLike[str],
    texts: dict[str, str],
    summary: ImportSummary | None = None,
    tag_field: str = DEFAULT_TAG_FIELD,
) -> list[Document]:
    """Actor spans of each document that has rows in `path` (documents in order of first appearance)."""
    rows: dict[str, list[tuple[list[str], list[str]]]] = {}
    for line in iter_records([path]):
        where = f"{line.path}:{line.lineno}"
        if line.error:
            raise InputError(f"{where}: {line.error}")
        rec = line.record
        row_id = rec.get("id")
        doc_id = rec.get("document_id")
        if doc_id is None and isinstance(row_id, str):
            doc_id = _ROW_SUFFIX.sub("", row_id)
        if not isinstance(doc_id, str) or not doc_id:
            raise InputError(f"{where}: a row needs a string document_id, or an id '<doc id>-<row number>'")
        tokens = rec.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise InputError(f"{where}: doc {doc_id} | row {row_id} | field tokens must be a list of strings")
        if tag_field not in rec:
            raise InputError(f"{where}: doc {doc_id} | row {row_id} | no field {tag_field!r} (choose it with --tag-field)")
        tags = _tag_names(rec[tag_field], doc_id, str(row_id), where, tag_field)
        if len(tags) != len(tokens):
            raise InputError(f"{where}: doc {doc_id} | row {row_id} | {len(tokens)} tokens but {len(tags)} tags")
        if doc_id not in texts:
            raise InputError(f"{where}: doc {doc_id} | no text given for this document (pass the documents with --text)")
        rows.setdefault(doc_id, []).append((tokens, tags))
    docs: list[Document] = []
    for doc_id, parts in rows.items():
        text = texts[doc_id]
        tokens = [t for toks, _ in parts for t in toks]
        tags = [t for _, tg in parts for t in tg]
        for k, tag in enumerate(tags):
            check_tag(tag, ACTOR_LABELS, doc_id, k, str(path))
        offsets = locate_tokens(text, tokens, doc_id, str(path))
        doc = Document(id=doc_id, text=text)
        for n, (i, j, label) in enumerate(decode_iob2(tags, summary), start=1):
            a, b = offsets[i][0], offsets[j][1]
            doc.spans.append(Span(id=f"T{n}", start=a, end=b, text=text[a:b], label=label))
        docs.append(doc)
        if summary is not None:
            summary.documents += 1
            summary.tokens += len(tokens)
            summary.spans += len(doc.spans)
    return docs
