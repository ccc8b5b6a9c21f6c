"""CoNLL-style IOB2 export: one token per line, one tag column per layer.

Layout::

    # columns = TOKEN ACTORS AGREEMENTS QUOTES CUES
    -DOCSTART-\t<doc id>

    قال\tO\tO\tO\tB-CUE
    …

Layers overlap (an actor inside a quote), hence one column per layer. Spans of one
layer may also nest (a GPE inside an ORG): the inner ones go to extra columns named
``ACTORS_2``, ``ACTORS_3``… appended after the four, so no span is dropped. Tokens
are proclitic-aware and cut at every span edge, so each span is whole tokens.
A blank line separates paragraphs (line breaks no span crosses).

What CoNLL cannot carry, and `read_conll` therefore cannot give back: relations,
attributes, entity (coreference) ids, span ids, document-level fields, and the exact
white space between tokens (recovered only when the original texts are supplied).
Spans — offsets and labels — come back exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

from ittifaq.evaluate.formats.iob import ImportSummary, check_tag, decode_iob2, locate_tokens
from ittifaq.evaluate.formats.layers import doc_tokens, nesting_levels, spans_by_layer
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import LAYERS, SPAN_LABELS, Document, Span
from ittifaq.evaluate.text.tokenize import bio_tags

DOCSTART = "-DOCSTART-"
HEADER_PREFIX = "# columns = "


def columns_for(docs: list[Document]) -> list[tuple[str, int]]:
    """(layer, nesting level) per tag column: the four layers, then extra levels."""
    depth = {layer: 1 for layer in LAYERS}
    for d in docs:
        for layer, spans in spans_by_layer(d).items():
            if spans:
                depth[layer] = max(depth[layer], max(nesting_levels(spans)) + 1)
    cols = [(layer, 0) for layer in LAYERS]
    cols += [(layer, lvl) for layer in LAYERS for lvl in range(1, depth[layer])]
    return cols


def column_name(layer: str, level: int) -> str:
    return layer.upper() + (f"_{level + 1}" if level else "")


def doc_lines(doc: Document, cols: list[tuple[str, int]]) -> list[str]:
    """The lines of one document (DOCSTART, blank, token rows with paragraph breaks)."""
    text = doc.text or ""
    tokens = doc_tokens(doc)
    by_col: dict[tuple[str, int], list[tuple[int, int, str]]] = {c: [] for c in cols}
    for layer, spans in spans_by_layer(doc).items():
        for s, lvl in zip(spans, nesting_levels(spans), strict=True):
            by_col[(layer, lvl)].append((s.start, s.end, s.label))
    tags = [bio_tags(tokens, by_col[c]) for c in cols]
    crossing = [(s.start, s.end) for s in doc.spans]
    lines = [f"{DOCSTART}\t{doc.id}", ""]
    prev_end = None
    for i, (a, b) in enumerate(tokens):
        if prev_end is not None and "\n" in text[prev_end:a] and not any(s < a and e > prev_end for s, e in crossing):
            lines.append("")
        lines.append("\t".join([text[a:b], *(t[i] for t in tags)]))
        prev_end = b
    lines.append("")
    return lines


def write_conll(docs: list[Document], out: str | os.PathLike[str]) -> list[Path]:
    """Write all documents into one CoNLL file."""
    cols = columns_for(docs)
    lines = [HEADER_PREFIX + " ".join(["TOKEN", *(column_name(*c) for c in cols)])]
    for d in docs:
        lines += doc_lines(d, cols)
    write_text_atomic(out, "\n".join(lines) + "\n")
    return [Path(out)]


def _parse_columns(header: str, where: str) -> list[str]:
    if not header.startswith(HEADER_PREFIX):
        raise InputError(f"{where}: first line must be '{HEADER_PREFIX}TOKEN …'")
    names = header[len(HEADER_PREFIX):].split()
    if not names or names[0] != "TOKEN":
        raise InputError(f"{where}: first column must be TOKEN")
    return names[1:]


def read_conll(
    path: str | os.PathLike[str], texts: dict[str, str] | None = None, summary: ImportSummary | None = None
) -> list[Document]:
    """Spans back from a CoNLL file (see the module docstring for what is lost).

    With `texts` (doc id -> original text), tokens are located in the text, so
    offsets are exact (a token that does not match is an error naming document and
    token index); otherwise the text is rebuilt with one space between tokens. Tags
    are read as seqeval's strict IOB2 mode reads them (`formats.iob`); the orphan I-
    tags dropped are counted in `summary`.
    """
    raw = Path(path).read_text(encoding="utf-8").split("\n")
    names = _parse_columns(raw[0] if raw else "", f"{path}:1")
    docs: list[Document] = []
    rows: list[tuple[str, list[str], int]] = []
    doc_id: str | None = None

    def flush() -> None:
        if doc_id is not None:
            if texts is not None and doc_id not in texts:
                raise InputError(f"{path}: doc {doc_id} | no text given for this document")
            docs.append(_build(doc_id, rows, names, (texts or {}).get(doc_id), f"{path}", summary))

    for lineno, line in enumerate(raw[1:], start=2):
        if line.startswith(DOCSTART):
            flush()
            parts = line.split("\t")
            doc_id = parts[1] if len(parts) > 1 else f"doc{len(docs) + 1}"
            rows = []
            continue
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(names) + 1:
            raise InputError(f"{path}:{lineno}: {len(fields)} columns, expected {len(names) + 1}")
        if doc_id is None:
            raise InputError(f"{path}:{lineno}: token before the first {DOCSTART} line")
        rows.append((fields[0], fields[1:], lineno))
    flush()
    return docs


def _build(
    doc_id: str,
    rows: list[tuple[str, list[str], int]],
    names: list[str],
    text: str | None,
    where: str,
    summary: ImportSummary | None,
) -> Document:
    tokens: list[tuple[int, int]] = []
    if text is None:
        text = " ".join(r[0] for r in rows)
        pos = 0
        for tok, _, _ in rows:
            tokens.append((pos, pos + len(tok)))
            pos += len(tok) + 1
    else:
        tokens = locate_tokens(text, [r[0] for r in rows], doc_id, where)
    doc = Document(id=doc_id, text=text)
    found: list[tuple[int, int, str]] = []
    for c in range(len(names)):
        tags = [r[1][c] for r in rows]
        for k, tag in enumerate(tags):
            check_tag(tag, SPAN_LABELS, doc_id, k, f"{where}:{rows[k][2]}")
        found += [(tokens[i][0], tokens[j][1], lab) for i, j, lab in decode_iob2(tags, summary)]
    if summary is not None:
        summary.documents += 1
        summary.tokens += len(rows)
        summary.spans += len(set(found))
    for n, (a, b, label) in enumerate(sorted(set(found)), start=1):
        if label not in SPAN_LABELS:
            raise InputError(f"{where}: doc {doc_id}: unknown label {label!r}")
        doc.spans.append(Span(id=f"s{n}", start=a, end=b, text=text[a:b], label=label))
    return doc
