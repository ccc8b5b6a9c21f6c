"""Label Studio JSON tasks (one JSON array), lossless both ways, and its labeling config.

One task per document: ``data`` holds ``text``, ``doc_id``, ``meta`` (document-level
fields) and ``relation_ids`` (``"label head tail" -> id``: Label Studio relation
results have no id of their own). The single annotation's ``result`` holds

* a ``labels`` region per span (region ``id`` = our span id),
* per-region ``choices`` for the agreement/quote attributes and a per-region
  ``textarea`` named ``entity`` for the coreference id (same region id, as Label
  Studio writes per-region results),
* a ``relation`` result per relation (``from_id`` head, ``to_id`` tail, ``labels``).

Offsets: Label Studio's Text tag stores start/end as code-point offsets (since
label-studio-frontend fixed emoji offsets in 2022, they match Python's); exports of
older versions counted UTF-16 units. The two differ only in a text with characters
outside the Basic Multilingual Plane (emoji, some symbols). On import the convention is
``--offsets codepoints|utf16`` when given; otherwise each region's ``value.text`` decides
(the reading that matches it); a region without ``value.text`` in such a text takes the
convention the task's other regions show, and if none shows one the import stops and asks
for ``--offsets``: offsets are never guessed. The file's shape is checked with a JSON Schema
first, so a malformed export is an error naming the task and the field, never a traceback.
"""

from __future__ import annotations

import os
import re
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson
from jsonschema import Draft202012Validator

from ittifaq.evaluate.formats.offsets import from_utf16
from ittifaq.evaluate.formats.records import apply_metadata, check_span_texts, doc_metadata
from ittifaq.evaluate.io.atomic import write_bytes_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import (
    ATTRIBUTES,
    ITEM_ID_RE,
    RELATIONS,
    SPAN_LABELS,
    Document,
    Relation,
    Span,
)

TO_NAME = "text"
LABELS_NAME = "label"
ENTITY_NAME = "entity"
_COLORS = {"PER": "#ff9f40", "ORG": "#4a90d9", "GPE": "#3cb371", "AGREEMENT": "#d45087", "QUOTE": "#9e9e9e", "CUE": "#e6c229"}


def _region(span: Span, text: str) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "text": text[span.start : span.end]}


def to_task(doc: Document) -> dict[str, Any]:
    """The Label Studio task of one document."""
    text = doc.text or ""
    result: list[dict[str, Any]] = []
    for s in doc.spans:
        base = {"id": s.id, "from_name": LABELS_NAME, "to_name": TO_NAME, "type": "labels", "origin": "manual"}
        result.append({**base, "value": {**_region(s, text), "labels": [s.label]}})
        for name, value in s.attributes.to_dict().items():
            if value is not None:
                result.append({"id": s.id, "from_name": name, "to_name": TO_NAME, "type": "choices",
                               "origin": "manual", "value": {**_region(s, text), "choices": [value]}})
        if s.entity is not None:
            result.append({"id": s.id, "from_name": ENTITY_NAME, "to_name": TO_NAME, "type": "textarea",
                           "origin": "manual", "value": {**_region(s, text), "text": [s.entity]}})
    for r in doc.relations:
        result.append({"from_id": r.head, "to_id": r.tail, "type": "relation", "direction": "right", "labels": [r.label]})
    return {
        "data": {
            "text": text,
            "doc_id": doc.id,
            "meta": doc_metadata(doc),
            "relation_ids": {f"{r.label} {r.head} {r.tail}": r.id for r in doc.relations},
        },
        "annotations": [{"result": result}],
    }


def labeling_config() -> str:
    """The Label Studio labeling config (XML) matching `to_task`."""
    lines = ['<View style="direction: rtl">', f'  <Labels name="{LABELS_NAME}" toName="{TO_NAME}">']
    lines += [f"    <Label value={quoteattr(label)} background={quoteattr(_COLORS[label])}/>" for label in SPAN_LABELS]
    lines += ["  </Labels>", f'  <Text name="{TO_NAME}" value="$text"/>', "  <Relations>"]
    lines += [f"    <Relation value={quoteattr(label)}/>" for label in RELATIONS]
    lines.append("  </Relations>")
    for name, (owner, values) in ATTRIBUTES.items():
        lines.append(f'  <Choices name="{name}" toName="{TO_NAME}" perRegion="true" '
                     f'visibleWhen="region-selected" whenLabelValue="{owner}">')
        lines += [f"    <Choice value={quoteattr(v)}/>" for v in values]
        lines.append("  </Choices>")
    lines.append(f'  <TextArea name="{ENTITY_NAME}" toName="{TO_NAME}" perRegion="true" maxSubmissions="1" '
                 'visibleWhen="region-selected" placeholder="entity (coreference) id"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def write_labelstudio(docs: list[Document], out: str | os.PathLike[str]) -> list[str]:
    """Write the tasks to `out` (a .json file) and the labeling config beside it."""
    tasks = [to_task(d) for d in docs]
    write_bytes_atomic(out, orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    config = os.path.splitext(os.fspath(out))[0] + ".config.xml"
    write_bytes_atomic(config, labeling_config().encode("utf-8"))
    return [os.fspath(out), config]


OFFSETS = ("auto", "codepoints", "utf16")

_IDS = {"type": ["string", "integer"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
#: The part of Label Studio's export format that ittifaq reads.
TASKS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string"},
                    "doc_id": {"type": "string"},
                    "meta": {"type": "object"},
                    "relation_ids": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "annotations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "was_cancelled": {"type": "boolean"},
                        "result": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["type"],
                                "properties": {
                                    "type": {"type": "string"},
                                    "id": _IDS,
                                    "from_id": _IDS,
                                    "to_id": _IDS,
                                    "from_name": {"type": "string"},
                                    "direction": {"type": "string"},
                                    "labels": _STRINGS,
                                    "value": {
                                        "type": "object",
                                        "properties": {
                                            "start": {"type": "integer"},
                                            "end": {"type": "integer"},
                                            "text": {"type": ["string", "array"], "items": {"type": "string"}},
                                            "labels": _STRINGS,
                                            "choices": _STRINGS,
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _check_shape(tasks: Any, path: str) -> None:
    """Refuse an export whose structure is not Label Studio's, naming the first place that is wrong."""
    error = next(iter(sorted(Draft202012Validator(TASKS_SCHEMA).iter_errors(tasks), key=lambda e: list(map(str, e.path)))), None)
    if error is not None:
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in error.absolute_path)
        raise InputError(f"{path}: not a Label Studio export at {where.lstrip('.') or 'the top level'}: {error.message}")


def _readings(value: dict[str, Any], text: str, where: str) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """A region's offsets read as code points and as UTF-16 units (None when impossible)."""
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        raise InputError(f"{where}: region without integer start/end")
    try:
        utf16 = (from_utf16(text, start), from_utf16(text, end))
    except ValueError:
        utf16 = None
    return (start, end), utf16


def _convention(result: list[dict[str, Any]], text: str, where: str) -> str | None:
    """The offset convention the task's regions with text agree on (None when none decides)."""
    seen = set()
    for item in result:
        value = item.get("value") or {}
        if item.get("type") != "labels" or not isinstance(value.get("text"), str):
            continue
        cp, utf16 = _readings(value, text, where)
        fits = {name for name, (a, b) in (("codepoints", cp), ("utf16", utf16 or (-1, -1)))
                if 0 <= a <= b <= len(text) and text[a:b] == value["text"]}
        if len(fits) == 1:
            seen |= fits
    return seen.pop() if len(seen) == 1 else None


def _offsets(value: dict[str, Any], text: str, where: str, convention: str | None) -> tuple[int, int]:
    """Region offsets in code points, by the region's own text, or the convention given or shown by the task."""
    cp, utf16 = _readings(value, text, where)
    shown = value.get("text")
    if isinstance(shown, str):
        for reading in ((cp, utf16) if convention != "utf16" else (utf16, cp)):
            if reading and 0 <= reading[0] <= reading[1] <= len(text) and text[reading[0]:reading[1]] == shown:
                return reading
        raise InputError(f"{where}: region text {shown!r} is not at {cp[0]}-{cp[1]} of the task text "
                         "(neither as code points nor as UTF-16 units)")
    if cp == utf16:
        return cp  # no character outside the BMP before the region: both conventions agree
    if convention == "codepoints":
        return cp
    if convention == "utf16" and utf16 is not None:
        return utf16
    raise InputError(f"{where}: region has no value.text and the task text holds characters outside the Basic "
                     "Multilingual Plane, so its offsets may be code points or UTF-16 units; give --offsets "
                     "codepoints or --offsets utf16")


def _region_id(raw: Any, where: str) -> str:
    rid = str(raw)
    if not re.fullmatch(ITEM_ID_RE, rid):
        rid = "ls" + re.sub(r"[^A-Za-z0-9_.:-]", "_", rid)
    return rid


def from_task(task: dict[str, Any], where: str, offsets: str = "auto") -> Document:
    """One document from one Label Studio task (exported or written by `to_task`)."""
    data = task.get("data") or {}
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError(f"{where}: task has no data.text")
    doc_id = data.get("doc_id") or f"ls-{task.get('id')}"
    doc = Document(id=str(doc_id), text=text)
    apply_metadata(doc, data.get("meta") or {}, where)
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if len(annotations) > 1:
        raise InputError(f"{where}: doc {doc.id} has {len(annotations)} annotations; keep one per task")
    result = annotations[0].get("result", []) if annotations else []
    convention = offsets if offsets != "auto" else _convention(result, text, where)
    spans: dict[str, Span] = {}
    later: list[tuple[str, dict[str, Any], str]] = []
    relations: list[tuple[str, str, str, str]] = []
    for n, item in enumerate(result):
        here = f"{where} result[{n}]"
        kind = item.get("type")
        if kind == "relation":
            labels = item.get("labels") or []
            if len(labels) != 1 or labels[0] not in RELATIONS:
                raise InputError(f"{here}: a relation needs exactly one label of {', '.join(RELATIONS)}, found {labels}")
            head, tail = str(item.get("from_id")), str(item.get("to_id"))
            if item.get("direction") == "left":
                head, tail = tail, head
            relations.append((labels[0], head, tail, here))
            continue
        value = item.get("value") or {}
        raw_id = item.get("id")
        if kind == "labels":
            labels = value.get("labels") or []
            if len(labels) != 1 or labels[0] not in SPAN_LABELS:
                raise InputError(f"{here}: a region needs exactly one label of {', '.join(SPAN_LABELS)}, found {labels}")
            start, end = _offsets(value, text, here, convention)
            sid = _region_id(raw_id, here)
            spans[str(raw_id)] = Span(id=sid, start=start, end=end, text="", label=labels[0])
        elif kind in ("choices", "textarea"):
            later.append((str(raw_id), item, here))
        else:
            raise InputError(f"{here}: result type {kind!r} has no place in ittifaq")
    for raw_id, item, here in later:
        if raw_id not in spans:
            raise InputError(f"{here}: per-region result for unknown region {raw_id!r}")
        name, value = item.get("from_name"), item.get("value") or {}
        if item["type"] == "textarea":
            if name != ENTITY_NAME or len(value.get("text") or []) != 1:
                raise InputError(f"{here}: textarea must be {ENTITY_NAME!r} with one value")
            spans[raw_id].entity = value["text"][0]
        else:
            choices = value.get("choices") or []
            if name not in ATTRIBUTES or len(choices) != 1:
                raise InputError(f"{here}: choices must be one of {', '.join(ATTRIBUTES)} with one value")
            setattr(spans[raw_id].attributes, name, choices[0])
    doc.spans = list(spans.values())
    known = data.get("relation_ids") or {}
    used = set(known.values())
    fresh = 0
    for label, head, tail, here in relations:
        if head not in spans or tail not in spans:
            raise InputError(f"{here}: relation points at an unknown region")
        h, t = spans[head].id, spans[tail].id
        rid = known.get(f"{label} {h} {t}")
        if rid is None:
            fresh += 1
            while f"r{fresh}" in used:
                fresh += 1
            rid = f"r{fresh}"
            used.add(rid)
        doc.relations.append(Relation(id=rid, label=label, head=h, tail=t))
    check_span_texts(doc, where)
    return doc


def read_labelstudio(path: str | os.PathLike[str], offsets: str = "auto") -> list[Document]:
    """Documents from a Label Studio JSON export (a list of tasks)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        tasks = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    _check_shape(tasks, str(path))
    return [from_task(t, f"{path} task[{i}]", offsets) for i, t in enumerate(tasks)]
