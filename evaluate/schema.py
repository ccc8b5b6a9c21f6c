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
DOC_ID_PATTERN = f"^{DOC_ID_RE}$"
ITEM_ID_PATTERN = f"^{ITEM_ID_RE}$"

#: Document-level keys in their canonical order (the order written to JSONL).
DOC_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "text",
    "date",
    "genre",
    "region",
    "split",
    "grounding",
    "origin",
    "annotators",
    "spans",
    "relations",
)
SPAN_KEYS: tuple[str, ...] = ("id", "start", "end", "text", "label", "entity", "attributes")
RELATION_KEYS: tuple[str, ...] = ("id", "label", "head", "tail")
ATTRIBUTE_KEYS: tuple[str, ...] = tuple(ATTRIBUTES)
#: Keys a prediction record must carry; `text` or `text_sha256` are recommended.
PREDICTION_REQUIRED: tuple[str, ...] = ("id", "spans", "relations")

ORIGINS: tuple[str, ...] = ("original",)


@dataclass(slots=True)
class Attributes:
    """Attributes of a span: all keys always present, ``None`` where they do not apply."""

    agreement_type: str | None = None
    status: str | None = None
    quote_kind: str | None = None
    source_role: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "agreement_type": self.agreement_type,
            "status": self.status,
            "quote_kind": self.quote_kind,
            "source_role": self.source_role,
        }


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
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
            "entity": self.entity,
            "attributes": self.attributes.to_dict(),
        }


@dataclass(slots=True)
class Relation:
    """A directed, labelled link between two spans of one document."""

    id: str
    label: str
    head: str
    tail: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "head": self.head, "tail": self.tail}


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
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "date": self.date,
            "genre": self.genre,
            "region": self.region,
            "split": self.split,
            "grounding": list(self.grounding),
            "origin": self.origin,
            "annotators": list(self.annotators),
            "spans": [s.to_dict() for s in self.spans],
            "relations": [r.to_dict() for r in self.relations],
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Document:
        """Build from an already validated record (gold or prediction)."""
        spans: list[Span] = []
        append = spans.append
        for s in record.get("spans") or ():
            a = s.get("attributes")
            attrs = (
                Attributes(a.get("agreement_type"), a.get("status"), a.get("quote_kind"), a.get("source_role"))
                if a
                else Attributes()
            )
            append(Span(s["id"], s["start"], s["end"], s.get("text", ""), s["label"], s.get("entity"), attrs))
        relations = [
            Relation(id=r["id"], label=r["label"], head=r["head"], tail=r["tail"])
            for r in record.get("relations") or []
        ]
        return cls(
            id=record["id"],
            text=record.get("text"),
            title=record.get("title"),
            date=record.get("date"),
            genre=record.get("genre"),
            region=record.get("region"),
            split=record.get("split"),
            grounding=list(record.get("grounding") or []),
            origin=record.get("origin"),
            annotators=list(record.get("annotators") or []),
            spans=spans,
            relations=relations,
            text_sha256=record.get("text_sha256"),
        )


def _enum(values: tuple[str, ...], nullable: bool = True) -> dict[str, Any]:
    if nullable:
        return {"enum": [*values, None]}
    return {"enum": list(values)}


def json_schema(predictions: bool = False) -> dict[str, Any]:
    """The JSON Schema of a gold record (or, relaxed, of a prediction record)."""
    attributes = {
        "type": "object",
        "properties": {name: _enum(values) for name, (_, values) in ATTRIBUTES.items()},
        "required": [] if predictions else list(ATTRIBUTE_KEYS),
        "additionalProperties": False,
    }
    span = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": ITEM_ID_PATTERN},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 1},
            "text": {"type": "string"},
            "label": _enum(SPAN_LABELS, nullable=False),
            "entity": {"type": ["string", "null"]},
            "attributes": attributes,
        },
        "required": ["id", "start", "end", "label"] if predictions else list(SPAN_KEYS),
        "additionalProperties": False,
    }
    relation = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": ITEM_ID_PATTERN},
            "label": _enum(RELATION_LABELS, nullable=False),
            "head": {"type": "string"},
            "tail": {"type": "string"},
        },
        "required": list(RELATION_KEYS),
        "additionalProperties": False,
        "x-allowed-pairs": {
            label: {"head": list(heads), "tail": list(tails)}
            for label, (heads, tails) in RELATIONS.items()
        },
    }
    nullable_str = {"type": ["string", "null"]}
    properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": DOC_ID_PATTERN},
        "title": nullable_str,
        "text": {"type": "string"},
        "date": {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                {"type": "null"},
            ]
        },
        "genre": _enum(GENRES),
        "region": _enum(REGIONS),
        "split": _enum(SPLITS),
        "grounding": {"type": "array", "items": {"type": "string"}},
        "origin": _enum(ORIGINS),
        "annotators": {"type": "array", "items": {"type": "string"}},
        "spans": {"type": "array", "items": span},
        "relations": {"type": "array", "items": relation},
    }
    if predictions:
        properties["text_sha256"] = {"type": "string", "pattern": r"^[0-9a-f]{64}$"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://ittifaq.invalid/schema/document-{SCHEMA_VERSION}"
        + ("-prediction" if predictions else "")
        + ".json",
        "title": "ittifaq " + ("prediction" if predictions else "document") + f" v{SCHEMA_VERSION}",
        "type": "object",
        "properties": properties,
        "required": list(PREDICTION_REQUIRED) if predictions else list(DOC_KEYS),
        "additionalProperties": False,
    }


def hf_features() -> dict[str, Any]:
    """The `documents` config's features in dataset-card YAML form (no `datasets` import)."""

    def string(name: str) -> dict[str, str]:
        return {"name": name, "dtype": "string"}

    attributes = [string(name) for name in ATTRIBUTE_KEYS]
    span_fields = [
        string("id"),
        {"name": "start", "dtype": "int32"},
        {"name": "end", "dtype": "int32"},
        string("text"),
        string("label"),
        string("entity"),
        {"name": "attributes", "struct": attributes},
    ]
    relation_fields = [string(name) for name in RELATION_KEYS]
    return {
        "features": [
            string("id"),
            string("title"),
            string("text"),
            string("date"),
            string("genre"),
            string("region"),
            string("split"),
            {"name": "grounding", "sequence": "string"},
            string("origin"),
            {"name": "annotators", "sequence": "string"},
            {"name": "spans", "list": span_fields},
            {"name": "relations", "list": relation_fields},
        ]
    }


#: BIO tag names of the `ner` config, in ClassLabel order.
NER_TAGS: tuple[str, ...] = ("O",) + tuple(
    f"{prefix}-{label}" for label in ACTOR_LABELS for prefix in ("B", "I")
)
