"""Anchoring an LLM's string answer to character offsets: a prediction `Document` plus the list of
what could not be anchored, each with its reason.

Among several occurrences of a string the one consistent with the rest of the answer is taken:
actors, agreements and quotes in their order of mention (the first free occurrence after the
previous item's; for an agreement, the first of those within `NEAR` characters of a mention of one
of its parties, if any), a cue the nearest occurrence outside its quote, a speaker or party the
nearest mention of its key (inside its head first), an affiliation the closest pair of mentions.
Coreference keys become entity ids; a relation that names an actor by its text instead of its key
finds the actor with that text (counted as `key_by_name`). Nothing is guessed: an item whose string
is not on the text is listed, not placed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ittifaq.evaluate.llm.anchor import Index, candidates, clean
from ittifaq.evaluate.schema import (
    ACTOR_LABELS,
    AGREEMENT_STATUSES,
    AGREEMENT_TYPES,
    QUOTE_KINDS,
    SOURCE_ROLES,
    Attributes,
    Document,
    Relation,
    Span,
)
from ittifaq.evaluate.text.arabic_norm import normalize

ALIGN_VERSION = "1"

#: Why an item was not anchored (README, "Alignment policy").
REASONS: dict[str, str] = {
    "invalid_item": "the item lacks a required string or has a label outside the schema",
    "not_in_text": "the string (or, for a quote, its ends) is not in the text at any tier",
    "head_unanchored": "its quote or agreement was not anchored, so it has no place",
    "unknown_key": "it names an actor key that no actor of the answer has",
    "endpoint_unanchored": "its actor key (or its cue) is in the answer, but nothing of it was anchored",
}

Spot = tuple[int, int]
#: Characters within which an agreement's party mention makes an occurrence the agreement's (about a sentence).
NEAR = 150


@dataclass
class Aligned:
    """One document's prediction, the items left out with their reasons, and how items were anchored."""

    doc: Document
    unanchored: list[dict[str, Any]] = field(default_factory=list)
    tiers: Counter[str] = field(default_factory=Counter)


def _distance(a: Spot, b: Spot) -> int:
    """Characters between two spans (0 if they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


def _clash(a: Spot, b: Spot, label: str) -> bool:
    if label == "PER":
        # A person's name holds no other person's (one nesting in the whole corpus): `حداد` after
        # `سمير حداد` is the next `حداد`, not the surname inside the full name.
        return a[0] < b[1] and b[0] < a[1]
    partial = a[0] < b[0] < a[1] < b[1] or b[0] < a[0] < b[1] < a[1]
    return a[0] == b[0] or partial


def _after(spot: Spot, cursor: Spot | None) -> bool:
    """Whether `spot` comes after `cursor` in the order of mention (by start; at one start, the longer first)."""
    return cursor is None or (spot[0], -spot[1]) > (cursor[0], -cursor[1])


def _choose(found: list[Spot], cursor: Spot | None, used: list[Spot], near: list[Spot] = (), label: str = "") -> tuple[Spot, bool]:
    """The first free occurrence after `cursor` (in order), else the first free, else the first.
    Free: not taken for the same label already, and neither starting with nor partly overlapping what
    was (spans of one label never overlap partially; a mention nested at the start of another of its
    label is the same words listed twice)."""
    free = [s for s in found if not any(_clash(s, u, label) for u in used)]
    ahead = [s for s in free if _after(s, cursor)]
    for spot in ahead:
        if any(_distance(spot, n) <= NEAR for n in near):
            return spot, True
    if ahead:
        return ahead[0], True
    return (free or found)[0], False


def _str(x: Any) -> str | None:
    return x if isinstance(x, str) and x.strip() else None


def _key(x: Any) -> str | None:
    """An actor key: a non-empty string, or a number (models often number their actors), as text."""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    return _str(x)


def _items(answer: dict[str, Any], key: str) -> list[Any]:
    items = answer.get(key)
    return items if isinstance(items, list) else []


class _Builder:
    def __init__(self, doc_id: str, text: str) -> None:
        self.out = Aligned(Document(id=doc_id, text=text))
        self.index = Index(text)
        self.ids: dict[tuple[int, int, str], str] = {}
        self.rels: set[tuple[str, str, str]] = set()

    def lost(self, layer: str, label: str, text: Any, reason: str) -> None:
        shown = text if isinstance(text, str) else None
        self.out.unanchored.append({"id": self.out.doc.id, "layer": layer, "label": label, "text": shown, "reason": reason})

    def span(self, spot: Spot, label: str, entity: str | None = None, attrs: Attributes | None = None) -> str:
        k = (spot[0], spot[1], label)
        if k in self.ids:
            self.out.tiers["merged"] += 1
            return self.ids[k]
        sid = f"T{len(self.ids) + 1}"
        self.ids[k] = sid
        text = self.out.doc.text or ""
        self.out.doc.spans.append(Span(sid, spot[0], spot[1], text[spot[0]:spot[1]], label, entity, attrs or Attributes()))
        return sid

    def relation(self, label: str, head: str, tail: str) -> None:
        if (label, head, tail) not in self.rels:
            self.rels.add((label, head, tail))
            self.out.doc.relations.append(Relation(f"R{len(self.rels)}", label, head, tail))

    def place(self, text: str, cursor: Spot | None, used: dict[str, list[Spot]], label: str,
              near: list[Spot] = ()) -> Spot | None:
        tier, found = candidates(self.index, text, quote=label == "QUOTE")
        if not found:
            return None
        taken = used.setdefault(label, [])
        spot, in_order = _choose(found, cursor, taken, near, label)
        if not in_order and tier != "inside_word":
            # Every occurrence on word edges is taken or behind: one glued to a word may be next (§1.4).
            glued = [x for x in self.index.inside_word(clean(text)) if x not in found]
            later, ok = _choose(glued, cursor, taken, label=label) if glued else (spot, False)
            if ok:
                spot, in_order, tier = later, True, "inside_word"
        self.out.tiers[tier] += 1
        if not in_order:
            self.out.tiers["out_of_order"] += 1
        used[label].append(spot)
        return spot


def align_answer(doc_id: str, text: str, answer: dict[str, Any]) -> Aligned:
    """Anchor one document's answer (the shape of `answer.ANSWER_SCHEMA`) on its text."""
    b = _Builder(doc_id, text)
    mentions: dict[str, list[tuple[Spot, str, str]]] = {}  # key -> (offsets, span id, label) of each mention
    answered_keys: set[str] = set()
    names: dict[str, str] = {}  # a mention's normalized text -> its key, for a relation that names instead of keys

    cursor, used = None, {}
    for item in _items(answer, "actors"):
        item = item if isinstance(item, dict) else {}
        s, label, key = _str(item.get("text")), item.get("label"), _key(item.get("key"))
        label_ok = isinstance(label, str) and label in ACTOR_LABELS
        if key:
            answered_keys.add(key)
        if not s or not label_ok:
            b.lost("actors", label if label_ok else "actor", s, "invalid_item")
            continue
        spot = b.place(s, cursor, used, label)
        if spot is None:
            b.lost("actors", label, s, "not_in_text")
            continue
        cursor = spot
        sid = b.span(spot, label, entity=key or s)
        mentions.setdefault(key or s, []).append((spot, sid, label))
        names.setdefault(normalize(clean(s)), key or s)

    def resolve(key: Any) -> str | None:
        key = _key(key)
        if key is not None and key not in mentions and normalize(clean(key)) in names:
            b.out.tiers["key_by_name"] += 1
            return names[normalize(clean(key))]
        return key

    def link(label: str, head: Spot, head_id: str, key: Any, layer: str) -> None:
        key = resolve(key)
        if key is None or key not in mentions:
            reason = "endpoint_unanchored" if key in answered_keys else "unknown_key" if key else "invalid_item"
            b.lost(layer, label, key, reason)
            return
        inside = lambda m: head[0] <= m[0][0] and m[0][1] <= head[1]  # noqa: E731
        nearest = min(mentions[key], key=lambda m: (not inside(m), _distance(m[0], head), m[0][0] > head[0], m[0][0]))
        b.relation(label, head_id, nearest[1])

    cursor, used = None, {}
    for item in _items(answer, "agreements"):
        item = item if isinstance(item, dict) else {}
        s, parties = _str(item.get("text")), item.get("parties")
        parties = parties if isinstance(parties, list) else []
        near = [m[0] for p in parties for m in mentions.get(resolve(p) or "", ())]
        spot = b.place(s, cursor, used, "AGREEMENT", near) if s else None
        if spot is None:
            b.lost("agreements", "AGREEMENT", s, "not_in_text" if s else "invalid_item")
            for p in parties:
                b.lost("agreements", "party", p, "head_unanchored")
            continue
        cursor = spot
        t, st = item.get("type"), item.get("status")
        attrs = Attributes(agreement_type=t if t in AGREEMENT_TYPES else None, status=st if st in AGREEMENT_STATUSES else None)
        sid = b.span(spot, "AGREEMENT", attrs=attrs)
        for p in parties:
            link("party", spot, sid, p, "agreements")

    cursor, used = None, {}
    cues_used: set[Spot] = set()
    for item in _items(answer, "quotes"):
        item = item if isinstance(item, dict) else {}
        s, cue, speaker = _str(item.get("content")), _str(item.get("cue")), item.get("speaker")
        spot = b.place(s, cursor, used, "QUOTE") if s else None
        if spot is None:
            b.lost("quotes", "QUOTE", s, "not_in_text" if s else "invalid_item")
            if cue:
                b.lost("quotes", "CUE", cue, "head_unanchored")
                b.lost("quotes", "cue", cue, "head_unanchored")
            if _key(speaker):
                b.lost("quotes", "speaker", _key(speaker), "head_unanchored")
            continue
        cursor = spot
        k, r = item.get("kind"), item.get("role")
        attrs = Attributes(quote_kind=k if k in QUOTE_KINDS else None, source_role=r if r in SOURCE_ROLES else None)
        qid = b.span(spot, "QUOTE", attrs=attrs)
        if cue:
            tier, found = candidates(b.index, cue)
            if found:
                q = spot
                cue_spot = min(found, key=lambda c: (c[0] < q[1] and q[0] < c[1], c in cues_used, _distance(c, q), c[0]))
                cues_used.add(cue_spot)
                b.out.tiers[tier] += 1
                b.relation("cue", qid, b.span(cue_spot, "CUE"))
            else:
                b.lost("quotes", "CUE", cue, "not_in_text")
                b.lost("quotes", "cue", cue, "endpoint_unanchored")
        if speaker is not None:
            link("speaker", spot, qid, speaker, "quotes")

    for item in _items(answer, "affiliations"):
        item = item if isinstance(item, dict) else {}
        p, o = resolve(item.get("person")), resolve(item.get("organization"))
        if p not in mentions or o not in mentions:
            missing = p if p not in mentions else o
            b.lost("affiliations", "affiliation", missing,
                   "invalid_item" if missing is None else "endpoint_unanchored" if missing in answered_keys else "unknown_key")
            continue
        persons = [m for m in mentions[p] if m[2] == "PER"]
        orgs = [m for m in mentions[o] if m[2] in ("ORG", "GPE")]
        if not persons or not orgs:
            b.lost("affiliations", "affiliation", p if not persons else o, "invalid_item")
            continue
        _, hp, tp = min((_distance(a[0], c[0]), a, c) for a in persons for c in orgs)
        b.relation("affiliation", hp[1], tp[1])
    return b.out


def empty(doc_id: str, text: str) -> Aligned:
    """The prediction for a document without a usable answer: no spans (scored as all missed)."""
    return Aligned(Document(id=doc_id, text=text))
