"""Event tables for political scientists: one row per agreement, one row per quote, from gold or predicted
documents (the columns are documented in README.md, "Event tables").

The CAMEO and PLOVER codes are the coarse mapping of our agreement types in annotation_guidelines.md §3.6:
they name the kind of cooperation an accord is about, not the act the article reports; `status` says that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ittifaq.evaluate.schema import AGREEMENT_TYPES, Document

#: agreement_type -> (CAMEO code, CAMEO label, PLOVER event type): annotation_guidelines.md §3.6 (1.4).
CODES: dict[str, tuple[str, str, str]] = {
    "economic": ("061", "Cooperate economically", "AGREE"),
    "financial": ("061", "Cooperate economically", "AGREE"),
    "energy": ("061", "Cooperate economically", "AGREE"),
    "infrastructure": ("061", "Cooperate economically", "COOPERATE"),
    "military": ("062", "Cooperate militarily", "AGREE"),
    "nuclear": ("057", "Sign formal agreement", "AGREE"),
    "peace": ("057", "Sign formal agreement", "AGREE"),
    "diplomatic": ("057", "Sign formal agreement", "AGREE"),
    "judicial": ("063", "Engage in judicial cooperation", "COOPERATE"),
    "intelligence": ("064", "Share intelligence or information", "COOPERATE"),
    "humanitarian": ("073", "Provide humanitarian aid", "AID"),
    "other": ("057", "Sign formal agreement", "AGREE"),
}
assert set(CODES) == set(AGREEMENT_TYPES), "every agreement type needs its codes"

AGREEMENT_COLUMNS: tuple[str, ...] = (
    "doc_id", "agreement_id", "date", "date_source", "agreement_type", "cameo", "cameo_label", "plover", "status",
    "party_ids", "parties", "party_labels", "start", "end", "text",
)
QUOTE_COLUMNS: tuple[str, ...] = (
    "doc_id", "quote_id", "date", "quote_kind", "source_role", "speaker_ids", "speakers", "speaker_labels",
    "cue", "agreement_ids", "agreement_types", "start", "end", "text",
)
#: Joins the values of a many-valued cell (parties, speakers): ids and names never contain it.
SEP = " | "

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_MONTH = (r"يناير|فبراير|مارس|أبريل|إبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر|"
          r"كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول")
#: A year the accord's own phrase dates it by: after عام/لعام/العام, a month name, or right after the accord noun.
_YEAR = re.compile(rf"(?:(?:^|[\s/])(?:(?:ال|لل|ل)?عام|{_MONTH})\s+|^\S+\s+)((?:19|20)\d\d)(?!\d)")


def text_year(agreement_text: str) -> str | None:
    """The year the agreement's phrase dates it by (`اتفاقية عام 1959`, `اتفاق 2014 بين…`), if any; a deadline
    (`بحلول 2005`) or a period (`للأعوام 2019 - 2021`) does not date the accord."""
    m = _YEAR.search(agreement_text.translate(_DIGITS))
    return m.group(1) if m else None


def _join(values: list[str | None]) -> str:
    return SEP.join(v or "" for v in values)


def agreement_rows(doc: Document) -> Iterator[dict[str, Any]]:
    """One row per AGREEMENT span, with its parties (`party` relations, in the record's order)."""
    by_id = doc.span_by_id()
    parties: dict[str, list[str]] = {}
    for r in doc.relations:
        if r.label == "party":
            parties.setdefault(r.head, []).append(r.tail)
    for s in doc.spans:
        if s.label != "AGREEMENT":
            continue
        kind = s.attributes.agreement_type
        cameo, cameo_label, plover = CODES.get(kind or "", (None, None, None))
        year = text_year(s.text)
        party = [by_id[t] for t in parties.get(s.id, []) if t in by_id]
        yield {
            "doc_id": doc.id, "agreement_id": s.id,
            "date": year or doc.date, "date_source": "text" if year else ("document" if doc.date else None),
            "agreement_type": kind, "cameo": cameo, "cameo_label": cameo_label, "plover": plover,
            "status": s.attributes.status,
            "party_ids": _join([p.entity or p.id for p in party]), "parties": _join([p.text for p in party]),
            "party_labels": _join([p.label for p in party]),
            "start": s.start, "end": s.end, "text": s.text,
        }


def quote_rows(doc: Document) -> Iterator[dict[str, Any]]:
    """One row per QUOTE span: speaker(s), cue(s), and the agreements whose spans lie inside the quote."""
    by_id = doc.span_by_id()
    linked: dict[tuple[str, str], list[str]] = {}
    for r in doc.relations:
        if r.label in ("speaker", "cue"):
            linked.setdefault((r.head, r.label), []).append(r.tail)
    agreements = [s for s in doc.spans if s.label == "AGREEMENT"]
    for q in doc.spans:
        if q.label != "QUOTE":
            continue
        speakers = [by_id[t] for t in linked.get((q.id, "speaker"), []) if t in by_id]
        cues = [by_id[t] for t in linked.get((q.id, "cue"), []) if t in by_id]
        inside = [a for a in agreements if q.start <= a.start and a.end <= q.end]
        yield {
            "doc_id": doc.id, "quote_id": q.id, "date": doc.date,
            "quote_kind": q.attributes.quote_kind, "source_role": q.attributes.source_role,
            "speaker_ids": _join([p.entity or p.id for p in speakers]), "speakers": _join([p.text for p in speakers]),
            "speaker_labels": _join([p.label for p in speakers]), "cue": _join([c.text for c in cues]),
            "agreement_ids": _join([a.id for a in inside]),
            "agreement_types": _join([a.attributes.agreement_type for a in inside]),
            "start": q.start, "end": q.end, "text": q.text,
        }
