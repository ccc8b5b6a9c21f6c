"""The authoring format: one readable source file per article, compiled to JSONL.

Annotators never type offsets. A source file is YAML front matter (metadata)
followed by the article body with inline markup around spans::

    ---
    id: 0007-astana-talks-2017
    title: ...
    date: 2017-01-24
    genre: wire
    region: middle_east
    split: train
    grounding:
      - "2017-01-23/24: talks in Astana hosted by Kazakhstan ..."
    annotators: [ann-1]
    ---
    أعلنت [[g1 GPE e=russia|روسيا]] …

A span is ``[[ID LABEL key=value ...|surface text]]``; spans nest. Keys:
``e`` (entity id, actors), ``type``/``status`` (AGREEMENT), ``kind``/``role``
(QUOTE), and the relations, stated on their head span with comma-separated tail
ids: ``party`` (AGREEMENT), ``speaker`` and ``cue`` (QUOTE), ``aff`` (PER).
The text is the body with the markup removed, verbatim otherwise (paragraphs
are separated by blank lines). Every error names file, line and column.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.schema import Attributes, Document, Relation, Span

OPEN, CLOSE, SEP = "[[", "]]", "|"

#: markup key -> (schema attribute name, span label it belongs to)
ATTRIBUTE_KEYS: dict[str, tuple[str, str]] = {
    "type": ("agreement_type", "AGREEMENT"),
    "status": ("status", "AGREEMENT"),
    "kind": ("quote_kind", "QUOTE"),
    "role": ("source_role", "QUOTE"),
}
#: markup key -> (relation label, head label it belongs to); order fixes relation ids
RELATION_KEYS: dict[str, tuple[str, str]] = {
    "party": ("party", "AGREEMENT"),
    "speaker": ("speaker", "QUOTE"),
    "cue": ("cue", "QUOTE"),
    "aff": ("affiliation", "PER"),
}
# `event` (id, date, name of the real event an article is built on) is authoring metadata: it feeds the
# sampling frame corpus/events.tsv and the split-by-event rule, not the document record.
META_KEYS = ("id", "title", "date", "genre", "region", "split", "grounding", "annotators", "notes", "event")
REQUIRED_META = ("id", "title", "date", "genre", "region", "split", "grounding", "annotators")
_ID = re.compile(S.ITEM_ID_RE)


class SourceError(Exception):
    """A problem in an authoring source, located by file, line and column."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message


@dataclass(slots=True)
class _Open:
    sid: str
    label: str
    keys: dict[str, str]
    out_start: int
    line: int
    col: int


def _split_front_matter(raw: str, path: str) -> tuple[dict[str, Any], str, int]:
    if not raw.startswith("---\n"):
        raise SourceError(path, 1, 1, "a source starts with a '---' line opening the YAML front matter")
    end = raw.find("\n---\n", 3)
    if end < 0:
        raise SourceError(path, 1, 1, "the YAML front matter is not closed by a '---' line")
    try:
        meta = yaml.safe_load(raw[4:end]) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        raise SourceError(path, line, 1, f"front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise SourceError(path, 2, 1, "front matter must be a YAML mapping")
    body_offset = end + len("\n---\n")
    body_line = raw.count("\n", 0, body_offset) + 1
    return meta, raw[body_offset:], body_line


def _position(body: str, index: int, first_line: int) -> tuple[int, int]:
    line = first_line + body.count("\n", 0, index)
    col = index - (body.rfind("\n", 0, index) + 1) + 1
    return line, col


def _parse_header(header: str, path: str, line: int, col: int) -> tuple[str, str, dict[str, str]]:
    parts = header.split()
    if len(parts) < 2:
        raise SourceError(path, line, col, f"span header {header!r} needs at least an id and a label")
    sid, label, rest = parts[0], parts[1], parts[2:]
    if not _ID.fullmatch(sid):
        raise SourceError(path, line, col, f"span id {sid!r} is not a valid id (letters, digits, _ . : -)")
    if label not in S.SPAN_LABELS:
        raise SourceError(path, line, col, f"unknown label {label!r}; labels are {', '.join(S.SPAN_LABELS)}")
    keys: dict[str, str] = {}
    for part in rest:
        if "=" not in part:
            raise SourceError(path, line, col, f"span {sid}: {part!r} is not key=value")
        k, v = part.split("=", 1)
        if k in keys:
            raise SourceError(path, line, col, f"span {sid}: key {k!r} given twice")
        if k == "e":
            if label not in S.ACTOR_LABELS:
                raise SourceError(path, line, col, f"span {sid}: e= (entity) is only for actor spans, not {label}")
        elif k in ATTRIBUTE_KEYS:
            name, owner = ATTRIBUTE_KEYS[k]
            if label != owner:
                raise SourceError(path, line, col, f"span {sid}: {k}= belongs on {owner} spans, not {label}")
            allowed = S.ATTRIBUTES[name][1]
            if v not in allowed:
                raise SourceError(path, line, col, f"span {sid}: {k}={v!r} is not one of {', '.join(allowed)}")
        elif k in RELATION_KEYS:
            _, owner = RELATION_KEYS[k]
            if label != owner:
                raise SourceError(path, line, col, f"span {sid}: {k}= relations start from {owner} spans, not {label}")
        else:
            known = ", ".join(["e", *ATTRIBUTE_KEYS, *RELATION_KEYS])
            raise SourceError(path, line, col, f"span {sid}: unknown key {k!r}; keys are {known}")
        keys[k] = v
    if label in S.ACTOR_LABELS and "e" not in keys:
        raise SourceError(path, line, col, f"span {sid}: actor spans need e=<entity id>")
    for k, (_name, owner) in ATTRIBUTE_KEYS.items():
        if label == owner and k not in keys:
            raise SourceError(path, line, col, f"span {sid}: {owner} spans need {k}=")
    return sid, label, keys


def parse_source(raw: str, path: str = "<source>") -> tuple[Document, dict[str, Any]]:
    """Compile one source text into a Document (and its raw metadata, notes included)."""
    if raw.startswith("\ufeff"):
        raise SourceError(path, 1, 1, "file starts with a byte-order mark; save as UTF-8 without BOM")
    raw = raw.replace("\r\n", "\n")
    meta, body, body_line = _split_front_matter(raw, path)
    for key in meta:
        if key not in META_KEYS:
            raise SourceError(path, 2, 1, f"unknown front-matter key {key!r}; keys are {', '.join(META_KEYS)}")
    for key in REQUIRED_META:
        if key not in meta:
            raise SourceError(path, 2, 1, f"front matter lacks {key!r}")
    lead = len(body) - len(body.lstrip())
    body_line += body.count("\n", 0, lead)
    body = body.strip()

    out: list[str] = []
    out_len = 0
    stack: list[_Open] = []
    spans: list[tuple[_Open, int]] = []
    i, n = 0, len(body)
    while i < n:
        if body.startswith(OPEN, i):
            line, col = _position(body, i, body_line)
            j = body.find(SEP, i + 2)
            newline = body.find("\n", i + 2)
            if j < 0 or (0 <= newline < j):
                raise SourceError(path, line, col, "span opened with '[[' has no '|' ending its header on this line")
            header = body[i + 2 : j]
            if OPEN in header or CLOSE in header:
                raise SourceError(path, line, col, f"span header {header!r} contains '[[' or ']]'")
            sid, label, keys = _parse_header(header, path, line, col)
            stack.append(_Open(sid, label, keys, out_len, line, col))
            i = j + 1
            continue
        if body.startswith(CLOSE, i):
            line, col = _position(body, i, body_line)
            if not stack:
                raise SourceError(path, line, col, "']]' closes no open span")
            opened = stack.pop()
            spans.append((opened, out_len))
            i += 2
            continue
        out.append(body[i])
        out_len += 1
        i += 1
    if stack:
        o = stack[-1]
        raise SourceError(path, o.line, o.col, f"span {o.sid} is never closed with ']]'")
    text = "".join(out)

    ids: dict[str, _Open] = {}
    built: list[Span] = []
    for opened, end in sorted(spans, key=lambda t: (t[0].out_start, -t[1], t[0].line, t[0].col)):
        if opened.sid in ids:
            raise SourceError(path, opened.line, opened.col, f"span id {opened.sid!r} already used at line {ids[opened.sid].line}")
        ids[opened.sid] = opened
        surface = text[opened.out_start : end]
        if not surface:
            raise SourceError(path, opened.line, opened.col, f"span {opened.sid} is empty")
        if surface != surface.strip():
            raise SourceError(path, opened.line, opened.col, f"span {opened.sid} starts or ends with white space: {surface!r}")
        attrs = Attributes()
        for k, (name, _) in ATTRIBUTE_KEYS.items():
            if k in opened.keys:
                setattr(attrs, name, opened.keys[k])
        built.append(Span(opened.sid, opened.out_start, end, surface, opened.label, opened.keys.get("e"), attrs))

    relations: list[Relation] = []
    for span in built:
        opened = ids[span.id]
        for k, (rel_label, _) in RELATION_KEYS.items():
            if k not in opened.keys:
                continue
            for tail in opened.keys[k].split(","):
                if tail not in ids:
                    raise SourceError(path, opened.line, opened.col, f"span {span.id}: {k}={tail!r} names no span of this article")
                relations.append(Relation(f"r{len(relations) + 1}", rel_label, span.id, tail))

    date = meta.get("date")
    doc = Document(
        id=str(meta["id"]),
        title=meta.get("title"),
        text=text,
        date=date.isoformat() if hasattr(date, "isoformat") else (str(date) if date is not None else None),
        genre=meta.get("genre"),
        region=meta.get("region"),
        split=meta.get("split"),
        grounding=[str(g) for g in meta.get("grounding") or []],
        origin="original",
        annotators=[str(a) for a in meta.get("annotators") or []],
        spans=built,
        relations=relations,
    )
    return doc, meta


def read_source(path: str | os.PathLike[str]) -> Document:
    """Compile one source file; its id must equal its file name."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(str(p), 1, 1, f"not valid UTF-8: {exc.reason}") from None
    doc, _ = parse_source(raw, str(p))
    if doc.id != p.stem:
        raise SourceError(str(p), 2, 1, f"id {doc.id!r} must equal the file name {p.stem!r}")
    return doc


def text_sha256(text: str) -> str:
    """The hash predictions may carry instead of the full text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
