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
older versions counted UTF-16 units. On import each region's ``value.text`` is
compared with the text: if only the UTF-16 reading matches, the offsets are
converted; if neither matches, the import fails naming the task and region.
"""

from __future__ import annotations

import os
import re
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from ittifaq.evaluate.formats.offsets import from_utf16
from ittifaq.evaluate.formats.records import apply_metadata, check_span_texts, doc_metadata
from ittifaq.evaluate.io.atomic import write_bytes_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import (
    ATTRIBUTES,
    ITEM_ID_PATTERN,
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


def _offsets(value: dict[str, Any], text: str, where: str) -> tuple[int, int]:
    """Region offsets in code points, converting UTF-16 ones of older Label Studio."""
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: region without integer start/end") from None
    shown = value.get("text")
    if not isinstance(shown, str) or text[start:end] == shown:
        return start, end
    try:
        a, b = from_utf16(text, start), from_utf16(text, end)
    except ValueError:
        a = b = -1
    if a >= 0 and text[a:b] == shown:
        return a, b
    raise InputError(f"{where}: region text {shown!r} is not at {start}-{end} of the task text "
                     "(neither as code points nor as UTF-16 units)")


def _region_id(raw: Any, where: str) -> str:
    rid = str(raw)
    if not re.match(ITEM_ID_PATTERN, rid):
        rid = "ls" + re.sub(r"[^A-Za-z0-9_.:-]", "_", rid)
    return rid


def from_task(task: dict[str, Any], where: str) -> Document:
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
            start, end = _offsets(value, text, here)
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


def read_labelstudio(path: str | os.PathLike[str]) -> list[Document]:
    """Documents from a Label Studio JSON export (a list of tasks)."""
    try:
        tasks = orjson.loads(open(path, "rb").read())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InputError(f"{path}: expected a JSON list of Label Studio tasks")
    return [from_task(t, f"{path} task[{i}]") for i, t in enumerate(tasks)]
