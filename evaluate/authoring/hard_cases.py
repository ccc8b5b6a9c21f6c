"""Counts of the guidelines' hard cases (§6), so coverage claims are measured, not asserted.

Each detector is a transparent heuristic over gold annotation, documented on its
function; they count occurrences, they never change data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ittifaq.evaluate.schema import ACTOR_LABELS, Document, Span

_ARABIC = re.compile(r"[\u0621-\u064A]")
_LATIN = re.compile(r"[A-Za-z]")
_SENTENCE_END = re.compile(r"[.!?؟]\s")
PROCLITIC_CLUSTERS = ("و", "ف", "ب", "ل", "ك", "وب", "فب", "ول", "فل", "وك", "فك", "لل")

#: Capitals and seats of power that news uses for governments (§2.3).
METONYMS = frozenset(
    "واشنطن موسكو بكين طهران الرياض أنقرة باريس لندن برلين القاهرة الكرملين البيت الأبيض الإليزيه كييف "
    "بروكسل الدوحة أبوظبي دمشق بغداد بيونغ يانغ سيول طوكيو نيودلهي كاراكاس هافانا برازيليا بريتوريا "
    "الخرطوم طرابلس الرباط كابول داونينغ ستريت أوتاوا كانبيرا مدريد روما تل أبيب أديس أبابا أسمرة".split()
) | {"البيت الأبيض", "داونينغ ستريت", "تل أبيب", "أديس أبابا", "بيونغ يانغ", "بوينس آيرس"}


def _word_prefix(text: str, start: int) -> str:
    i = start
    while i > 0 and _ARABIC.match(text[i - 1]):
        i -= 1
    return text[i:start]


def clitic_attached(doc: Document, s: Span) -> bool:
    """An actor whose written word starts with a proclitic left outside the span (وروسيا)."""
    return s.label in ACTOR_LABELS and _word_prefix(doc.text or "", s.start) in PROCLITIC_CLUSTERS


def glued(doc: Document, s: Span, vocabulary: frozenset[str] = frozenset()) -> bool:
    """An actor glued to a neighbouring word by a missing space.

    Either the written word holding the span starts with more than a proclitic (وأكدبوتين) or
    goes on after it, or a word inside the span splits into two words that both occur elsewhere
    in the corpus (الولاياتالمتحدة = الولايات + المتحدة) or holds a word-final ة inside it.
    """
    text = doc.text or ""
    if s.label not in ACTOR_LABELS:
        return False
    before = _word_prefix(text, s.start)
    after = bool(s.end < len(text) and _ARABIC.match(text[s.end]) and _ARABIC.match(text[s.end - 1]))
    inner = any(_splits_in_two(tok, vocabulary) for tok in s.text.split())
    return (before != "" and before not in PROCLITIC_CLUSTERS) or after or inner


def _splits_in_two(tok: str, vocabulary: frozenset[str]) -> bool:
    if "ة" in tok[:-1]:  # ta marbuta only ends words
        return True
    return any(tok[:i] in vocabulary and tok[i:] in vocabulary for i in range(3, len(tok) - 2))


def _vocabulary(docs: list[Document]) -> frozenset[str]:
    words = Counter(w for d in docs for w in re.findall(r"[\u0621-\u064A]+", d.text or ""))
    return frozenset(w for w, n in words.items() if len(w) >= 3 and n >= 2)


def _norm(t: str) -> str:
    t = re.sub("[إأآا]", "ا", t)
    return t.replace("ى", "ي").replace("ة", "ه").replace("ـ", "")


def _close(a: str, b: str) -> bool:
    """Spelling variants: equal after orthographic normalization, or one letter inserted/changed."""
    a, b = _norm(a), _norm(b)
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def hard_case_counts(docs: Iterable[Document]) -> dict[str, int]:
    """Occurrences of each hard case over the corpus (and how many documents show it)."""
    counts: Counter[str] = Counter()
    doc_counts: Counter[str] = Counter()
    docs = list(docs)
    vocabulary = _vocabulary(docs)
    for d in docs:
        text = d.text or ""
        spans = d.span_by_id()
        seen: Counter[str] = Counter()
        for s in d.spans:
            if clitic_attached(d, s):
                seen["clitic_attached_names"] += 1
            if glued(d, s, vocabulary):
                seen["glued_words"] += 1
            if s.label in ACTOR_LABELS and _LATIN.search(s.text):
                seen["latin_script_names"] += 1
            if any(o is not s and o.start <= s.start and s.end <= o.end and (o.start, o.end) != (s.start, s.end) for o in d.spans):
                seen["nested_spans"] += 1
            if s.label == "QUOTE" and _SENTENCE_END.search(s.text):
                seen["multi_sentence_quotes"] += 1
            if s.label == "AGREEMENT" and s.attributes.status in ("cancelled", "denied", "suspended"):
                seen[f"agreements_{s.attributes.status}"] += 1
        surfaces: dict[str, set[str]] = {}
        for s in d.spans:
            if s.entity:
                surfaces.setdefault(s.entity, set()).add(s.text)
        for forms in surfaces.values():
            forms_l = sorted(forms)
            if any(_close(a, b) for i, a in enumerate(forms_l) for b in forms_l[i + 1 :]):
                seen["spelling_variant_entities"] += 1
            if any(f in METONYMS for f in forms) and any(f not in METONYMS for f in forms):
                seen["metonym_entities"] += 1
        parties: Counter[str] = Counter()
        for r in d.relations:
            if r.label == "party":
                parties[r.head] += 1
            if r.label == "speaker" and r.tail in spans and r.head in spans:
                tail, quote = spans[r.tail], spans[r.head]
                if tail.label == "ORG":
                    seen["org_speakers"] += 1
                cue = next((spans[x.tail] for x in d.relations if x.label == "cue" and x.head == r.head), None)
                anchor = cue.start if cue else quote.start
                if tail.end <= anchor and _SENTENCE_END.search(text[tail.end : anchor]):
                    seen["pronoun_or_implicit_speakers"] += 1
            if r.label == "cue" and r.tail in spans and r.head in spans and spans[r.tail].start >= spans[r.head].end:
                seen["cue_after_quote"] += 1
        seen["agreements_3plus_parties"] += sum(1 for n in parties.values() if n >= 3)
        for k, v in seen.items():
            counts[k] += v
            if v:
                doc_counts[k] += 1
    keys = (
        "clitic_attached_names", "metonym_entities", "pronoun_or_implicit_speakers", "cue_after_quote",
        "nested_spans", "latin_script_names", "glued_words", "spelling_variant_entities",
        "agreements_cancelled", "agreements_denied", "agreements_suspended", "agreements_3plus_parties",
        "multi_sentence_quotes", "org_speakers",
    )
    return {k: {"occurrences": counts.get(k, 0), "documents": doc_counts.get(k, 0)} for k in keys}
