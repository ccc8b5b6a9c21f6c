"""Document schema v1: the data contract of ittifaq.

Every value set lives here once; the JSON Schema, the HuggingFace features, the
validator, the scorer and the guidelines all derive from (or are tested against)
these constants, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.0"

SPLITS: tuple[str, ...] = ("train", "validation", "test")

GENRES: tuple[str, ...] = ("wire", "analysis", "interview", "feature", "statement", "opinion")

REGIONS: tuple[str, ...] = (
    "middle_east",
    "north_africa",
    "sub_saharan_africa",
    "latin_america",
    "europe_russia",
    "asia",
    "north_america",
    "global",
)

ACTOR_LABELS: tuple[str, ...] = ("PER", "ORG", "GPE")
SPAN_LABELS: tuple[str, ...] = ACTOR_LABELS + ("AGREEMENT", "QUOTE", "CUE")

#: Layers group labels for per-layer reporting.
LAYERS: dict[str, tuple[str, ...]] = {
    "actors": ACTOR_LABELS,
    "agreements": ("AGREEMENT",),
    "quotes": ("QUOTE",),
    "cues": ("CUE",),
}

AGREEMENT_TYPES: tuple[str, ...] = (
    "economic",
    "financial",
    "energy",
    "infrastructure",
    "military",
    "nuclear",
    "peace",
    "diplomatic",
    "judicial",
    "intelligence",
    "humanitarian",
    "other",
)

AGREEMENT_STATUSES: tuple[str, ...] = (
    "proposed",
    "planned",
    "negotiating",
    "signed",
    "implemented",
    "suspended",
    "cancelled",
    "denied",
)

QUOTE_KINDS: tuple[str, ...] = ("direct", "indirect")
SOURCE_ROLES: tuple[str, ...] = ("analyst", "official", "journalist", "other")

#: attribute name -> (the span label it belongs to, its allowed values)
ATTRIBUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "agreement_type": ("AGREEMENT", AGREEMENT_TYPES),
    "status": ("AGREEMENT", AGREEMENT_STATUSES),
    "quote_kind": ("QUOTE", QUOTE_KINDS),
    "source_role": ("QUOTE", SOURCE_ROLES),
}

#: relation label -> (allowed head labels, allowed tail labels)
RELATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "party": (("AGREEMENT",), ACTOR_LABELS),
    "speaker": (("QUOTE",), ACTOR_LABELS),
    "cue": (("QUOTE",), ("CUE",)),
    "affiliation": (("PER",), ("ORG", "GPE")),
}
RELATION_LABELS: tuple[str, ...] = tuple(RELATIONS)

#: Ids, matched whole (never `re.match`, whose `$` lets a final newline through). Document ids name files
#: (export, render), so both are at most 128 characters.
ID_MAX_LENGTH = 128
DOC_ID_RE = rf"[a-z0-9][a-z0-9_-]{{0,{ID_MAX_LENGTH - 1}}}"
ITEM_ID_RE = rf"[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{ID_MAX_LENGTH - 1}}}"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
SHA256_RE = r"[0-9a-f]{64}"
DOC_ID_PATTERN = f"^{DOC_ID_RE}$"
ITEM_ID_PATTERN = f"^{ITEM_ID_RE}$"

ORIGINS: tuple[str, ...] = ("original",)


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a record, stated once: the structs, the JSON Schema and the HF features are made from it.

    `kind` is the JSON shape: "string", "integer", "strings" (a list of strings), "record" (the nested
    record `of`) or "records" (a list of them). A string is closed by `values` or matched whole by
    `pattern`. `gold` and `pred` say whether a gold record and a prediction must carry the key; a key
    with `pred_only` exists in predictions only.
    """

    name: str
    kind: str = "string"
    values: tuple[str, ...] | None = None
    pattern: str | None = None
    nullable: bool = False
    minimum: int | None = None
    of: str | None = None
    gold: bool = True
    pred: bool = False
    pred_only: bool = False


#: record name -> its keys, in the canonical order written to JSONL.
RECORDS: dict[str, tuple[Field, ...]] = {
    "attributes": tuple(Field(name, values=values, nullable=True) for name, (_, values) in ATTRIBUTES.items()),
    "span": (
        Field("id", pattern=ITEM_ID_RE, pred=True),
        Field("start", "integer", minimum=0, pred=True),
        Field("end", "integer", minimum=1, pred=True),
        Field("text"),
        Field("label", values=SPAN_LABELS, pred=True),
        Field("entity", nullable=True),
        Field("attributes", "record", of="attributes"),
    ),
    "relation": (
        Field("id", pattern=ITEM_ID_RE, pred=True),
        Field("label", values=RELATION_LABELS, pred=True),
        Field("head", pred=True),
        Field("tail", pred=True),
    ),
    "document": (
        Field("id", pattern=DOC_ID_RE, pred=True),
        Field("title", nullable=True),
        Field("text"),
        Field("date", pattern=DATE_RE, nullable=True),
        Field("genre", values=GENRES, nullable=True),
        Field("region", values=REGIONS, nullable=True),
        Field("split", values=SPLITS, nullable=True),
        Field("grounding", "strings"),
        Field("origin", values=ORIGINS, nullable=True),
        Field("annotators", "strings"),
        Field("spans", "records", of="span", pred=True),
        Field("relations", "records", of="relation", pred=True),
        Field("text_sha256", pattern=SHA256_RE, gold=False, pred_only=True),
    ),
}


def keys(record: str, predictions: bool = False) -> tuple[str, ...]:
    """The keys a gold record (or a prediction) may carry, in canonical order."""
    return tuple(f.name for f in RECORDS[record] if predictions or not f.pred_only)


#: Document-level keys in their canonical order (the order written to JSONL).
DOC_KEYS: tuple[str, ...] = keys("document")
SPAN_KEYS: tuple[str, ...] = keys("span")
RELATION_KEYS: tuple[str, ...] = keys("relation")
ATTRIBUTE_KEYS: tuple[str, ...] = keys("attributes")
#: Keys a prediction record must carry; `text` or `text_sha256` are recommended.
PREDICTION_REQUIRED: tuple[str, ...] = tuple(f.name for f in RECORDS["document"] if f.pred)


@dataclass(slots=True)
class Attributes:
    """Attributes of a span: all keys always present, ``None`` where they do not apply."""

    agreement_type: str | None = None
    status: str | None = None
    quote_kind: str | None = None
    source_role: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in ATTRIBUTE_KEYS}


@dataclass(slots=True)
class Span:
    """A labelled character span; offsets are code-point indices, end-exclusive."""

    id: str
    start: int
    end: int
    text: str
    label: str
    entity: str | None = None
    attributes: Attributes = field(default_factory=Attributes)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in SPAN_KEYS}
        out["attributes"] = self.attributes.to_dict()
        return out


@dataclass(slots=True)
class Relation:
    """A directed, labelled link between two spans of one document."""

    id: str
    label: str
    head: str
    tail: str

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in RELATION_KEYS}


@dataclass(slots=True)
class Document:
    """One article with its annotation, or one system's prediction for it."""

    id: str
    text: str | None = None
    title: str | None = None
    date: str | None = None
    genre: str | None = None
    region: str | None = None
    split: str | None = None
    grounding: list[str] = field(default_factory=list)
    origin: str | None = None
    annotators: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    text_sha256: str | None = None

    def span_by_id(self) -> dict[str, Span]:
        return {s.id: s for s in self.spans}

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSONL record (gold form: every key, in order)."""
        out = {name: getattr(self, name) for name in DOC_KEYS}
        out["grounding"] = list(self.grounding)
        out["annotators"] = list(self.annotators)
        out["spans"] = [s.to_dict() for s in self.spans]
        out["relations"] = [r.to_dict() for r in self.relations]
        return out

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Document:
        """Build from an already validated record (gold or prediction)."""
        spans: list[Span] = []
        append = spans.append
        for s in record.get("spans") or ():
            a = s.get("attributes")
            attrs = Attributes(*map(a.get, ATTRIBUTE_KEYS)) if a else Attributes()
            append(Span(s["id"], s["start"], s["end"], s.get("text", ""), s["label"], s.get("entity"), attrs))
        relations = [Relation(*map(r.__getitem__, RELATION_KEYS)) for r in record.get("relations") or ()]
        scalars = {key: record.get(key) for key in _DOC_SCALARS}
        lists = {key: list(record.get(key) or ()) for key in _DOC_LISTS}
        return cls(id=record["id"], spans=spans, relations=relations, **scalars, **lists)


#: Document keys `from_dict` copies as they are, and the lists of strings it copies.
_DOC_SCALARS = tuple(f.name for f in RECORDS["document"] if f.kind == "string" and f.name != "id")
_DOC_LISTS = tuple(f.name for f in RECORDS["document"] if f.kind == "strings")


def _json_type(f: Field, predictions: bool) -> dict[str, Any]:
    """The JSON Schema of one key (ids and dates use ECMA-262's `^...$`: the whole string)."""
    if f.kind == "record":
        return _json_record(f.of or "", predictions)
    if f.kind == "records":
        return {"type": "array", "items": _json_record(f.of or "", predictions)}
    if f.kind == "strings":
        return {"type": "array", "items": {"type": "string"}}
    if f.values is not None:
        return {"enum": [*f.values, None] if f.nullable else list(f.values)}
    out: dict[str, Any] = {"type": [f.kind, "null"] if f.nullable and f.pattern is None else f.kind}
    if f.pattern is not None:
        out["pattern"] = f"^{f.pattern}$"
        if f.nullable:
            return {"anyOf": [out, {"type": "null"}]}
    if f.minimum is not None:
        out["minimum"] = f.minimum
    return out


def _json_record(name: str, predictions: bool) -> dict[str, Any]:
    fields = [f for f in RECORDS[name] if predictions or not f.pred_only]
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _json_type(f, predictions) for f in fields},
        "required": [f.name for f in fields if (f.pred if predictions else f.gold)],
        "additionalProperties": False,
    }
    if name == "relation":
        out["x-allowed-pairs"] = {
            label: {"head": list(heads), "tail": list(tails)} for label, (heads, tails) in RELATIONS.items()
        }
    return out


def json_schema(predictions: bool = False) -> dict[str, Any]:
    """The JSON Schema of a gold record (or, relaxed, of a prediction record)."""
    kind = "prediction" if predictions else "document"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://ittifaq.invalid/schema/document-{SCHEMA_VERSION}" + ("-prediction" if predictions else "") + ".json",
        "title": f"ittifaq {kind} v{SCHEMA_VERSION}",
        **_json_record("document", predictions),
    }


def _hf_feature(f: Field) -> dict[str, Any]:
    if f.kind == "record":
        return {"name": f.name, "struct": [_hf_feature(g) for g in RECORDS[f.of or ""]]}
    if f.kind == "records":
        return {"name": f.name, "list": [_hf_feature(g) for g in RECORDS[f.of or ""]]}
    if f.kind == "strings":
        return {"name": f.name, "sequence": "string"}
    return {"name": f.name, "dtype": "int32" if f.kind == "integer" else "string"}


def hf_features() -> dict[str, Any]:
    """The `documents` config's features in dataset-card YAML form (no `datasets` import)."""
    return {"features": [_hf_feature(f) for f in RECORDS["document"] if not f.pred_only]}


#: BIO tag names of the `ner` config, in ClassLabel order.
NER_TAGS: tuple[str, ...] = ("O",) + tuple(
    f"{prefix}-{label}" for label in ACTOR_LABELS for prefix in ("B", "I")
)
