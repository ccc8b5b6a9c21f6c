"""The answer an LLM gives for one document: the JSON shape, and the same shape built from gold.

Building it from gold serves twice: as the few-shot examples of a prompt (from the train split),
and as a perfect string-level answer that bounds what `align` loses.
"""

from __future__ import annotations

from typing import Any

from ittifaq.evaluate.schema import (
    ACTOR_LABELS,
    AGREEMENT_STATUSES,
    AGREEMENT_TYPES,
    QUOTE_KINDS,
    SOURCE_ROLES,
    Document,
)

#: The keys of an answer, each a list of items.
ANSWER_KEYS: tuple[str, ...] = ("actors", "agreements", "quotes", "affiliations")

#: The JSON Schema of an answer, shown in the prompt (and the shape `align` reads).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "actors": {
            "type": "array",
            "description": "every mention of a person, organization or state, in order of appearance",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "the mention exactly as written, without proclitics"},
                    "label": {"enum": list(ACTOR_LABELS)},
                    "key": {"type": "string", "description": "the same key for every mention of one actor"},
                },
                "required": ["text", "label", "key"],
            },
        },
        "agreements": {
            "type": "array",
            "description": "every mention of an agreement, in order of appearance",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "type": {"enum": list(AGREEMENT_TYPES)},
                    "status": {"enum": list(AGREEMENT_STATUSES)},
                    "parties": {"type": "array", "items": {"type": "string", "description": "an actor key"}},
                },
                "required": ["text", "type", "status", "parties"],
            },
        },
        "quotes": {
            "type": "array",
            "description": "every quote, in order of appearance",
            "items": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "description": "the quoted content copied exactly, without quotation marks"},
                    "cue": {"type": ["string", "null"], "description": "the word that introduces the quote"},
                    "speaker": {"type": ["string", "null"], "description": "the speaker's actor key"},
                    "kind": {"enum": list(QUOTE_KINDS)},
                    "role": {"enum": list(SOURCE_ROLES)},
                },
                "required": ["content", "cue", "speaker", "kind", "role"],
            },
        },
        "affiliations": {
            "type": "array",
            "description": "a person and the organization or state they belong to",
            "items": {
                "type": "object",
                "properties": {"person": {"type": "string"}, "organization": {"type": "string"}},
                "required": ["person", "organization"],
            },
        },
    },
    "required": list(ANSWER_KEYS),
}


def answer_from_document(doc: Document) -> dict[str, Any]:
    """The answer a perfect system would give for `doc` (gold spans as strings, entities as keys)."""
    by_id = doc.span_by_id()

    def key(span_id: str) -> str:
        s = by_id[span_id]
        return s.entity or s.id

    heads: dict[tuple[str, str], list[str]] = {}
    for r in doc.relations:
        heads.setdefault((r.head, r.label), []).append(r.tail)
    spans = sorted(doc.spans, key=lambda s: (s.start, -s.end))
    actors = [{"text": s.text, "label": s.label, "key": key(s.id)} for s in spans if s.label in ACTOR_LABELS]
    agreements = [
        {"text": s.text, "type": s.attributes.agreement_type, "status": s.attributes.status,
         "parties": list(dict.fromkeys(key(t) for t in heads.get((s.id, "party"), [])))}
        for s in spans if s.label == "AGREEMENT"
    ]
    quotes = []
    for s in spans:
        if s.label != "QUOTE":
            continue
        cues, speakers = heads.get((s.id, "cue"), []), heads.get((s.id, "speaker"), [])
        quotes.append({"content": s.text, "cue": by_id[cues[0]].text if cues else None,
                       "speaker": key(speakers[0]) if speakers else None,
                       "kind": s.attributes.quote_kind, "role": s.attributes.source_role})
    affiliations = list({(key(r.head), key(r.tail)): None for r in doc.relations if r.label == "affiliation"})
    return {"actors": actors, "agreements": agreements, "quotes": quotes,
            "affiliations": [{"person": p, "organization": o} for p, o in affiliations]}
