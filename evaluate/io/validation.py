"""Validation of ittifaq JSONL files against schema v1.

Modelled on Universal Dependencies' validate.py: every problem is reported (not
only the first), each names file, line, document, span or relation id, field and
the rule broken, in plain words. Files are streamed: memory holds one record at a
time plus the set of document ids seen.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
from jsonschema import Draft202012Validator, ValidationError, validators

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.io.errors import terminal_safe
from ittifaq.evaluate.io.jsonl import iter_lines, jsonl_files, split_of_file
from ittifaq.evaluate.io.structs import EXACT_TYPES
from ittifaq.evaluate.schema import Document


@dataclass(slots=True, frozen=True)
class Problem:
    """One broken rule at one place."""

    path: str
    line: int
    doc_id: str | None
    item_id: str | None
    field: str | None
    rule: str
    message: str
    #: A span label outside the schema, and nothing else wrong with that span: what
    #: `--unknown-labels spurious` tolerates (the span is then scored as spurious).
    unknown_span_label: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        parts = [where]
        if self.doc_id is not None:
            parts.append(f"doc {self.doc_id}")
        if self.item_id is not None:
            parts.append(self.item_id)
        if self.field:
            parts.append(f"field {self.field}")
        return terminal_safe(f"{' | '.join(parts)} | [{self.rule}] {self.message}", keep_newlines=False)


_VALIDATORS: dict[bool, Draft202012Validator] = {}


def _whole_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """JSON Schema's `pattern` with ECMA-262's `$`: the end of the string, never before a final newline
    (Python's `re.search` would let an id such as "doc\\n" through, and it would then name files)."""
    if validator.is_type(instance, "string") and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _whole_pattern})


def _structure_validator(predictions: bool) -> Draft202012Validator:
    if predictions not in _VALIDATORS:
        _VALIDATORS[predictions] = _Validator(S.json_schema(predictions=predictions))
    return _VALIDATORS[predictions]


_ATTRS_OF_LABEL: dict[str, tuple[str, ...]] = {
    label: tuple(name for name, (owner, _) in S.ATTRIBUTES.items() if owner == label) for label in S.SPAN_LABELS
}


def structure_ok(record: dict[str, Any], predictions: bool) -> bool:
    """A fast, conservative check of the JSON Schema: True only if the schema surely holds.

    jsonschema is exact but slow (it dominated `ittifaq score` on large files), so it runs only
    for records the schema's structs refuse, to explain what is wrong (and to decide the rare
    case the structs are stricter about, such as an offset written 3.0).
    """
    try:
        msgspec.convert(record, EXACT_TYPES[predictions])
    except msgspec.ValidationError:
        return False
    return True


def _json_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _item_id(record: dict[str, Any], path: list[Any]) -> str | None:
    """Name the span or relation an error sits in, by its id when it has one."""
    if len(path) >= 2 and path[0] in ("spans", "relations") and isinstance(path[1], int):
        items = record.get(path[0])
        kind = "span" if path[0] == "spans" else "relation"
        try:
            item = items[path[1]]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return f"{kind} {item['id']}"
        except (IndexError, TypeError, KeyError):
            pass
        return f"{kind} #{path[1]}"
    return None


def check_record(
    record: dict[str, Any], path: str = "<record>", line: int = 0, predictions: bool = False
) -> list[Problem]:
    """Every problem of one parsed record (structure first, then meaning)."""
    problems: list[Problem] = []
    doc_id = record.get("id") if isinstance(record.get("id"), str) else None

    def add(rule: str, message: str, item: str | None = None, field: str | None = None, unknown_span_label: bool = False) -> None:
        problems.append(Problem(path, line, doc_id, item, field, rule, message, unknown_span_label))

    structural = [] if structure_ok(record, predictions) else sorted(
        _structure_validator(predictions).iter_errors(record), key=lambda e: list(map(str, e.absolute_path))
    )
    broken_paths: set[tuple[Any, ...]] = set()
    for err in structural:
        p = list(err.absolute_path)
        span_label = len(p) == 3 and p[0] == "spans" and p[2] == "label" and err.validator == "enum"
        # A span whose only fault is a label outside the schema is still a span (relations to it
        # resolve): `--unknown-labels spurious` tolerates that one problem and nothing else.
        if not (span_label and isinstance(err.instance, str)):
            broken_paths.add(tuple(p[:2]))
        rule = {
            "required": "missing-field",
            "additionalProperties": "extra-field",
            "type": "wrong-type",
            "enum": "unknown-value",
            "pattern": "bad-format",
            "minimum": "out-of-range",
            "anyOf": "bad-format",
        }.get(str(err.validator), "schema")
        add(rule, err.message, _item_id(record, p), _json_path(p) or None, unknown_span_label=span_label)
    text = record.get("text")
    spans = record.get("spans") if isinstance(record.get("spans"), list) else []
    relations = record.get("relations") if isinstance(record.get("relations"), list) else []

    if isinstance(text, str) and unicodedata.normalize("NFC", text) != text:
        add("text-not-nfc", "text is not in Unicode NFC; normalize it (offsets must then be recomputed)", field="text")
    date = record.get("date")
    if isinstance(date, str) and len(date) == 10:
        try:
            _dt.date.fromisoformat(date)
        except ValueError:
            add("bad-date", f"date {date!r} is not a real calendar date", field="date")

    span_labels: dict[str, str | None] = {}
    span_ids = Counter(s["id"] for s in spans if isinstance(s, dict) and isinstance(s.get("id"), str))
    for sid, n in span_ids.items():
        if n > 1 and isinstance(sid, str):
            add("duplicate-id", f"span id {sid!r} is used {n} times in this document", f"span {sid}", "spans.id")
    entity_labels: dict[str, set[str]] = {}
    for i, s in enumerate(spans):
        if not isinstance(s, dict):
            continue
        if ("spans", i) in broken_paths:
            # Already reported; its id still names a span, so relations to it are not reported
            # again as pointing nowhere (their label pair is not judged: the label may be the fault).
            if isinstance(s.get("id"), str):
                span_labels.setdefault(s["id"], None)
            continue
        sid = s.get("id")
        label = s.get("label")
        span_labels.setdefault(sid, label)
        start, end = s.get("start"), s.get("end")
        for name, value in (("start", start), ("end", end)):
            # JSON Schema counts 3.0 as an integer; an offset written so is still not an index.
            if isinstance(value, float) and value.is_integer() and abs(value) >= 2**63:
                # The JSON parser hands integers beyond 64 bits over as floats.
                add("out-of-range", f"{name} is too large for an offset (beyond 64-bit integers)", f"span {sid}", f"spans[{i}].{name}")
            elif isinstance(value, float):
                add("wrong-type", f"{name} {value!r} is written as a number with a fraction part; offsets are integers", f"span {sid}", f"spans[{i}].{name}")
        if type(start) is int and type(end) is int:
            if start < 0 or end < 0:
                add("bad-offsets", f"negative offset ({start}, {end})", f"span {sid}", f"spans[{i}].start")
            elif start > end:
                add("bad-offsets", f"start {start} is after end {end}", f"span {sid}", f"spans[{i}].start")
            elif start == end:
                add("bad-offsets", f"empty span (start = end = {start})", f"span {sid}", f"spans[{i}].end")
            elif isinstance(text, str) and end > len(text):
                add("bad-offsets", f"end {end} is beyond the text ({len(text)} characters)", f"span {sid}", f"spans[{i}].end")
            elif isinstance(text, str):
                surface = text[start:end]
                if "text" in s and s["text"] != surface:
                    add(
                        "text-mismatch",
                        f"span text {s['text']!r} differs from text[{start}:{end}] = {surface!r}",
                        f"span {sid}",
                        f"spans[{i}].text",
                    )
                if not predictions and surface != surface.strip():
                    add("span-whitespace", "span starts or ends with white space", f"span {sid}", f"spans[{i}]")
        entity = s.get("entity")
        if entity == "":
            add("entity-missing", "entity id is empty; use a non-empty id (or null on non-actors)", f"span {sid}", f"spans[{i}].entity")
        if label in S.ACTOR_LABELS:
            if entity is None and not predictions:
                add("entity-missing", f"actor span ({label}) has no entity (coreference) id", f"span {sid}", f"spans[{i}].entity")
            if isinstance(entity, str):
                entity_labels.setdefault(entity, set()).add(label)
        elif entity is not None:
            add("entity-on-non-actor", f"entity {entity!r} set on a {label} span; only actors corefer", f"span {sid}", f"spans[{i}].entity")
        attrs = s.get("attributes")
        if not isinstance(attrs, dict):
            attrs = {}
        owned = _ATTRS_OF_LABEL.get(label, ())
        for name, value in attrs.items():
            if value is not None and name not in owned and name in S.ATTRIBUTES:
                owner = S.ATTRIBUTES[name][0]
                add("attribute-on-wrong-label", f"attribute {name}={value!r} belongs on {owner} spans, not {label}", f"span {sid}", f"spans[{i}].attributes.{name}")
        if not predictions:
            for name in owned:
                if attrs.get(name) is None:
                    add("attribute-missing", f"{label} span needs attribute {name}", f"span {sid}", f"spans[{i}].attributes.{name}")
    if not predictions:
        # Gold marks each mention once: a second span with the same offsets and label would be
        # merged by the scorer, silently. (Predictions may repeat a span: it counts once, reported.)
        same_span = Counter(
            (s["start"], s["end"], s["label"]) for s in spans
            if isinstance(s, dict) and type(s.get("start")) is int and type(s.get("end")) is int and isinstance(s.get("label"), str)
        )
        for (start, end, label), n in same_span.items():
            if n > 1:
                ids = [s.get("id") for s in spans if isinstance(s, dict) and (s.get("start"), s.get("end"), s.get("label")) == (start, end, label)]
                add("duplicate-span", f"{n} {label} spans at ({start}, {end}): {', '.join(map(str, ids))}; mark a mention once", f"span {ids[1]}", "spans")
        for entity, labels in entity_labels.items():
            if len(labels) > 1:
                add("entity-label-mismatch", f"entity {entity!r} has mentions labelled {sorted(labels)}; one entity, one label", field="spans.entity")

    rel_ids = Counter(r["id"] for r in relations if isinstance(r, dict) and isinstance(r.get("id"), str))
    for rid, n in rel_ids.items():
        if n > 1 and isinstance(rid, str):
            add("duplicate-id", f"relation id {rid!r} is used {n} times in this document", f"relation {rid}", "relations.id")
    seen_triples: set[tuple[Any, Any, Any]] = set()
    speakers: Counter[str] = Counter()
    for i, r in enumerate(relations):
        if not isinstance(r, dict) or ("relations", i) in broken_paths:
            continue
        item = f"relation {r.get('id')}"
        label, head, tail = r.get("label"), r.get("head"), r.get("tail")
        triple = (label, head, tail)
        if triple in seen_triples:
            add("duplicate-relation", f"{label} {head} -> {tail} is stated twice", item, f"relations[{i}]")
        seen_triples.add(triple)
        if head == tail:
            add("self-relation", f"head and tail are the same span {head!r}", item, f"relations[{i}]")
        heads, tails = S.RELATIONS.get(label, ((), ()))
        for end_name, end_id, allowed in (("head", head, heads), ("tail", tail, tails)):
            if end_id not in span_labels:
                add("missing-endpoint", f"{end_name} {end_id!r} is not a span id of this document", item, f"relations[{i}].{end_name}")
            elif label in S.RELATIONS and span_labels[end_id] in S.SPAN_LABELS and span_labels[end_id] not in allowed:
                add(
                    "bad-relation-pair",
                    f"{label} needs a {end_name} labelled {'/'.join(allowed)}, but {end_id!r} is {span_labels[end_id]}",
                    item,
                    f"relations[{i}].{end_name}",
                )
        if label == "speaker" and isinstance(head, str):
            speakers[head] += 1
    if not predictions:
        for sid, label in span_labels.items():
            if label == "QUOTE" and speakers[sid] == 0:
                add("quote-without-speaker", "every gold QUOTE needs a speaker relation", f"span {sid}", "relations")
    return problems


def iter_problems(
    paths: Iterable[str | os.PathLike[str]], predictions: bool = False, collect: list[Document] | None = None
) -> Iterator[Problem]:
    """Stream every problem in the JSONL files under `paths`.

    With `collect`, each record that passes is also appended to it as a Document, so
    callers parse each line once (a caller must discard `collect` if any problem came).
    """
    seen: dict[str, str] = {}
    for f in jsonl_files(paths):
        file_split = None if predictions else split_of_file(f)
        for ln in iter_lines(f):
            if ln.error is not None:
                rule = "bom" if "byte-order" in ln.error else ("blank-line" if "blank" in ln.error else "invalid-json")
                yield Problem(ln.path, ln.lineno, None, None, None, rule, ln.error)
                if ln.record is None:
                    continue
            record = ln.record
            found = check_record(record, ln.path, ln.lineno, predictions)
            yield from found
            if collect is not None and not found:
                collect.append(Document.from_dict(record))
            doc_id = record.get("id")
            if isinstance(doc_id, str):
                if doc_id in seen:
                    yield Problem(ln.path, ln.lineno, doc_id, None, "id", "duplicate-document", f"document id already used at {seen[doc_id]}")
                else:
                    seen[doc_id] = f"{ln.path}:{ln.lineno}"
            split = record.get("split")
            if file_split and isinstance(split, str) and split != file_split:
                yield Problem(ln.path, ln.lineno, doc_id, None, "split", "split-mismatch", f"split is {split!r} but the file holds the {file_split!r} split")


def validate_paths(paths: Iterable[str | os.PathLike[str]], predictions: bool = False) -> list[Problem]:
    """All problems under `paths` as a list (empty when valid)."""
    return list(iter_problems(paths, predictions))
