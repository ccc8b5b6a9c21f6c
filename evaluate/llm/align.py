"""Anchoring an LLM's string answer to character offsets: a prediction `Document` plus the list of
what could not be anchored, each with its reason.

Among several occurrences of a string the one consistent with the rest of the answer is taken, by
the deterministic score of `occurrence.assign` (order of mention first, then consistency hints, then
the earliest occurrence). Quotes are placed first, then actors (hint: inside the anchored quote whose
content names the actor, outside every quote when no content does; near the quotes it is the
speaker of), then agreements (hint: one per party with a mention within `NEAR` characters). A
cue is the nearest occurrence outside its quote; a speaker the mention of its key inside the quote,
else nearest its cue, else nearest the quote; a party the nearest mention of its key; an
affiliation the closest pair of mentions. Coreference keys become entity ids; a relation that names
an actor by its text instead of its key finds the actor with that text (counted as `key_by_name`).
Nothing is guessed: an item whose string is not on the text is listed, not placed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ittifaq.evaluate.llm.anchor import Index, candidates, clean
from ittifaq.evaluate.llm.occurrence import Item, assign
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

ALIGN_VERSION = "2"

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


def _inside(a: Spot, b: Spot) -> bool:
    return b[0] <= a[0] and a[1] <= b[1]


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

    def place(self, texts: list[str], label: str | list[str], hints: list[Any] | None = None) -> list[Spot | None]:
        """Occurrences for a whole list of items (`occurrence.assign`); None where a string is not in the text."""
        labels = label if isinstance(label, list) else [label] * len(texts)
        items, tiers = [], []
        for i, (text, lab) in enumerate(zip(texts, labels, strict=True)):
            tier, found = candidates(self.index, text, quote=lab == "QUOTE")
            glued = [x for x in self.index.inside_word(clean(text)) if x not in found] if found and tier != "inside_word" else []
            items.append(Item(found, glued, lab, hints[i] if hints else None))
            tiers.append(tier)
        out: list[Spot | None] = []
        for tier, placed in zip(tiers, assign(items), strict=True):
            if placed is None:
                out.append(None)
                continue
            self.out.tiers["inside_word" if placed.glued else tier] += 1
            if not placed.in_order:
                self.out.tiers["out_of_order"] += 1
            out.append(placed.spot)
        return out


def _dicts(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [x if isinstance(x, dict) else {} for x in _items(answer, key)]


def _place_some(b: _Builder, strings: list[str | None], labels: list[str], hints: list[Any]) -> list[Spot | None]:
    """`_Builder.place` for the items that have a string (None for the others)."""
    keep = [i for i, x in enumerate(strings) if x]
    got = b.place([strings[i] for i in keep], [labels[i] for i in keep], [hints[i] for i in keep])
    out: list[Spot | None] = [None] * len(strings)
    for i, spot in zip(keep, got, strict=True):
        out[i] = spot
    return out


def _quote_hint(s: str, quoted: list[tuple[str, Spot]], near: list[list[Spot]]) -> Any:
    """An item's hint: inside an anchored quote whose content names it (outside every quote when none
    does; no such hint with `quoted` empty), and one for each group of `near` with a member within
    `NEAR` characters (the quotes it is the speaker of; the mentions of each of an agreement's parties)."""
    n = normalize(clean(s))
    holders = [q for content, q in quoted if n and n in content]

    def hint(c: Spot) -> int:
        placed = any(_inside(c, q) for q in holders) if holders else bool(quoted) and not any(_inside(c, q) for _, q in quoted)
        return int(placed) + sum(any(_distance(c, x) <= NEAR for x in group) for group in near)

    return hint


def align_answer(doc_id: str, text: str, answer: dict[str, Any]) -> Aligned:
    """Anchor one document's answer (the shape of `answer.ANSWER_SCHEMA`) on its text.

    Quotes are placed first: where they are is the context the actors and agreements inside them,
    and the speakers beside them, are placed in."""
    b = _Builder(doc_id, text)
    actors, agreements, quotes = _dicts(answer, "actors"), _dicts(answer, "agreements"), _dicts(answer, "quotes")

    q_strings = [_str(q.get("content")) for q in quotes]
    q_spots = _place_some(b, q_strings, ["QUOTE"] * len(quotes), [None] * len(quotes))
    quoted = [(normalize(clean(s)), spot) for s, spot in zip(q_strings, q_spots, strict=True) if spot]
    spoken: dict[str, list[Spot]] = {}
    for q, spot in zip(quotes, q_spots, strict=True):
        if spot and _key(q.get("speaker")):
            spoken.setdefault(_key(q.get("speaker")), []).append(spot)

    a_strings, a_labels, a_hints = [], [], []
    for item in actors:
        s, label, key = _str(item.get("text")), item.get("label"), _key(item.get("key"))
        ok = bool(s) and isinstance(label, str) and label in ACTOR_LABELS
        a_strings.append(s if ok else None)
        a_labels.append(label if ok else "")
        a_hints.append(_quote_hint(s, quoted, [spoken.get(key or s or "", [])]) if ok else None)
    a_spots = _place_some(b, a_strings, a_labels, a_hints)

    mentions: dict[str, list[tuple[Spot, str, str]]] = {}  # key -> (offsets, span id, label) of each mention
    answered_keys: set[str] = set()
    names: dict[str, str] = {}  # a mention's normalized text -> its key, for a relation that names instead of keys
    for item, s, spot in zip(actors, a_strings, a_spots, strict=True):
        label, key = item.get("label"), _key(item.get("key"))
        label_ok = isinstance(label, str) and label in ACTOR_LABELS
        if key:
            answered_keys.add(key)
        if not s:
            b.lost("actors", label if label_ok else "actor", _str(item.get("text")), "invalid_item")
            continue
        if spot is None:
            b.lost("actors", label, s, "not_in_text")
            continue
        sid = b.span(spot, label, entity=key or s)
        mentions.setdefault(key or s, []).append((spot, sid, label))
        names.setdefault(normalize(clean(s)), key or s)

    def resolve(key: Any) -> str | None:
        key = _key(key)
        if key is not None and key not in mentions and normalize(clean(key)) in names:
            b.out.tiers["key_by_name"] += 1
            return names[normalize(clean(key))]
        return key

    def link(label: str, head: Spot, head_id: str, key: Any, layer: str, beside: Spot | None = None) -> None:
        """The relation to the mention of `key` inside the head, else nearest `beside` (a cue), else nearest the head."""
        key = resolve(key)
        if key is None or key not in mentions:
            reason = "endpoint_unanchored" if key in answered_keys else "unknown_key" if key else "invalid_item"
            b.lost(layer, label, key, reason)
            return
        by = beside or head
        nearest = min(mentions[key], key=lambda m: (not _inside(m[0], head), _distance(m[0], by), _distance(m[0], head),
                                                     m[0][0] > head[0], m[0][0]))
        b.relation(label, head_id, nearest[1])

    g_strings = [_str(g.get("text")) for g in agreements]
    g_parties = [g.get("parties") if isinstance(g.get("parties"), list) else [] for g in agreements]
    # No quote hint for agreements: an agreement word of a quote is often also outside it, and on the
    # validation split the hint moved more agreements off their annotated occurrence than onto it.
    g_hints = [_quote_hint(s, [], [[m[0] for m in mentions.get(resolve(p) or "", ())] for p in dict.fromkeys(map(str, ps))]) if s else None
               for s, ps in zip(g_strings, g_parties, strict=True)]
    g_spots = _place_some(b, g_strings, ["AGREEMENT"] * len(agreements), g_hints)
    for item, s, parties, spot in zip(agreements, g_strings, g_parties, g_spots, strict=True):
        if spot is None:
            b.lost("agreements", "AGREEMENT", s, "not_in_text" if s else "invalid_item")
            for p in parties:
                b.lost("agreements", "party", p, "head_unanchored")
            continue
        t, st = item.get("type"), item.get("status")
        attrs = Attributes(agreement_type=t if t in AGREEMENT_TYPES else None, status=st if st in AGREEMENT_STATUSES else None)
        sid = b.span(spot, "AGREEMENT", attrs=attrs)
        for p in parties:
            link("party", spot, sid, p, "agreements")

    cues_used: set[Spot] = set()
    for item, s, spot in zip(quotes, q_strings, q_spots, strict=True):
        cue, speaker = _str(item.get("cue")), item.get("speaker")
        if spot is None:
            b.lost("quotes", "QUOTE", s, "not_in_text" if s else "invalid_item")
            if cue:
                b.lost("quotes", "CUE", cue, "head_unanchored")
                b.lost("quotes", "cue", cue, "head_unanchored")
            if _key(speaker):
                b.lost("quotes", "speaker", _key(speaker), "head_unanchored")
            continue
        k, r = item.get("kind"), item.get("role")
        attrs = Attributes(quote_kind=k if k in QUOTE_KINDS else None, source_role=r if r in SOURCE_ROLES else None)
        qid = b.span(spot, "QUOTE", attrs=attrs)
        cue_spot = None
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
            link("speaker", spot, qid, speaker, "quotes", beside=cue_spot)

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
