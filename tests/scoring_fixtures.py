"""Small builders for scorer tests (imported by tests/test_scoring_* and tests/test_crosscheck_*)."""

from __future__ import annotations

from ittifaq.evaluate.schema import Attributes, Document, Relation, Span

#: Written for these tests (not from any article): "The foreign minister said in Cairo
#: that Egypt and Jordan signed an agreement for energy cooperation."
TEXT = "وقال وزير الخارجية في القاهرة إن مصر والأردن وقعتا اتفاقية للتعاون في الطاقة."
PLAIN = "x" * 400


def span(sid: str, start: int, end: int, label: str = "PER", entity: str | None = None, text: str = PLAIN, **attrs: str) -> Span:
    return Span(sid, start, end, text[start:end], label, entity, Attributes(**attrs))


def doc(did: str, spans: list[Span], relations: list[tuple[str, str, str]] | None = None, text: str = PLAIN) -> Document:
    rels = [Relation(f"R{i}", lab, h, t) for i, (lab, h, t) in enumerate(relations or [])]
    return Document(id=did, text=text, spans=spans, relations=rels, split="test")


def spans_doc(did: str, items: list[tuple[int, int, str]], text: str = PLAIN) -> Document:
    return doc(did, [span(f"T{i}", s, e, lab, text=text) for i, (s, e, lab) in enumerate(items)], text=text)
