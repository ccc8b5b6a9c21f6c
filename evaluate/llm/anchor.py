"""Where a string an LLM answered occurs in the document text: candidate offsets, best tier first.

The tiers, tried in order until one finds an occurrence (README, "Alignment policy"):

1. ``exact``: the string as given (after trimming white space, quotation marks and a final
   full stop or comma, which spans never include, guidelines §1.6 and §4.2);
2. ``normalized``: under the scorer's Arabic normalization (`text.arabic_norm`: diacritics,
   tatweel, alef, ya and ta-marbuta variants) with runs of white space as one space;
3. ``proclitic``: the string without leading proclitics (و ف ب ل ك, up to two), which spans
   leave outside (guidelines §1.1); and an article after ل as the text writes it
   (``المملكة`` found as the ``لمملكة`` of ``للمملكة``). A proclitic before the article
   (``بالصين``) is cut before any tier, as `text.tokenize.proclitic_length` cuts it (not from a
   quote, whose content may begin with such a word);
4. ``ends`` (quotes only): the first and the last few words, each found verbatim (normalized),
   the end within half to twice the answer's length of the start; also a quote shortened
   with an ellipsis (its first and last part). A paraphrase whose ends are not the text's
   words is not anchored;
5. ``inside_word``: only when no tier finds an occurrence on word edges, the exact (else
   normalized) occurrences inside a written word: the text's own glued words
   (``وأكدالمتحدث``, guidelines §1.4) and cues with an attached pronoun (``اعتبره``).

Tiers 1-4 take an occurrence only on word edges: nothing but proclitics (or a tatweel after
them, ``فـ``) before it in its word, nothing after it in its word (an answer ``إيران`` lands
inside ``الإيرانية`` only through tier 5, when the text has no ``إيران`` of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ittifaq.evaluate.text.arabic_norm import normalize
from ittifaq.evaluate.text.tokenize import PROCLITICS, WORD_CHARS, proclitic_length

TIERS: tuple[str, ...] = ("exact", "normalized", "proclitic", "ends", "inside_word")
_WORD_CHAR = re.compile(WORD_CHARS)
_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u0640]")
_TRIM = " \t\r\n«»\"“”„'‘’"
_TRIM_END = ".،,"
_ELLIPSIS = re.compile(r"\s*(?:\.{3,}|…)\s*")
#: Words taken from each end of a quote for the `ends` tier.
END_WORDS = 4


def clean(needle: str) -> str:
    """The answer string without what a span never holds at its edges."""
    s = needle.strip(_TRIM)
    while s and s[-1] in _TRIM_END:
        s = s[:-1].rstrip(_TRIM)
    return s


def _fold(text: str) -> tuple[str, list[int]]:
    """Normalized text (white space runs as one space) and, per kept character, its offset in `text`."""
    out: list[str] = []
    pos: list[int] = []
    space = False
    for i, c in enumerate(text):
        if c.isspace():
            if not space:
                out.append(" ")
                pos.append(i)
            space = True
            continue
        space = False
        n = normalize(c)
        if n:
            out.append(n)
            pos.append(i)
    return "".join(out), pos


@dataclass
class Index:
    """A document text prepared for lookups: the text and its folded form with an offset map."""

    text: str

    def __post_init__(self) -> None:
        self.folded, self.pos = _fold(self.text)

    def _on_edges(self, start: int, end: int) -> bool:
        t = self.text
        if end < len(t) and _WORD_CHAR.match(t, end):
            return False
        i = start
        while i > 0 and _WORD_CHAR.match(t, i - 1):
            i -= 1
        head = t[i:start].replace("\u0640", "")
        return len(head) <= 2 and all(c in PROCLITICS for c in head)

    def _extend(self, end: int) -> int:
        """An end moved over the diacritics and tatweel that belong to its last letter."""
        while end < len(self.text) and _MARKS.match(self.text, end):
            end += 1
        return end

    def exact(self, needle: str, edges: bool = True) -> list[tuple[int, int]]:
        out, i = [], self.text.find(needle)
        while needle and i >= 0:
            if not edges or self._on_edges(i, i + len(needle)):
                out.append((i, i + len(needle)))
            i = self.text.find(needle, i + 1)
        return out

    def normalized(self, needle: str, edges: bool = True) -> list[tuple[int, int]]:
        folded, _ = _fold(needle)
        folded = folded.strip()
        out, i = [], self.folded.find(folded) if folded else -1
        while i >= 0:
            start, end = self.pos[i], self._extend(self.pos[i + len(folded) - 1] + 1)
            if not edges or self._on_edges(start, end):
                out.append((start, end))
            i = self.folded.find(folded, i + 1)
        return out

    def find(self, needle: str) -> list[tuple[int, int]]:
        """Occurrences of exactly these characters, else of the normalized string."""
        return self.exact(needle) or self.normalized(needle)

    def proclitic(self, needle: str) -> list[tuple[int, int]]:
        for k in (1, 2):
            if len(needle) > k + 1 and all(c in PROCLITICS for c in needle[:k]):
                found = self.find(needle[k:])
                if found:
                    return found
        if needle.startswith("ال") and len(needle) > 3:
            # ل + ال is written لل: the span starts at the second ل (guidelines §1.1).
            return [(s, e) for s, e in self.find("ل" + needle[2:]) if s > 0 and self.text[s - 1] == "ل"]
        return []

    def inside_word(self, needle: str) -> list[tuple[int, int]]:
        return self.exact(needle, edges=False) or self.normalized(needle, edges=False)

    def ends(self, needle: str) -> list[tuple[int, int]]:
        parts = [p for p in _ELLIPSIS.split(needle) if p.strip()]
        words = needle.split()
        if len(parts) > 1:
            head, tail = clean(parts[0]), clean(parts[-1])
        elif len(words) >= 2 * END_WORDS:
            head, tail = " ".join(words[:END_WORDS]), " ".join(words[-END_WORDS:])
        else:
            return []
        out = []
        for hs, _ in self.find(head):
            for ts, te in self.find(tail):
                if ts >= hs and len(needle) / 2 <= te - hs <= 2 * len(needle):
                    out.append((hs, te))
                    break
        return out


def candidates(index: Index, needle: str, quote: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """The first tier that finds `needle` and its occurrences (sorted), or ("", []) if none does."""
    needle = clean(needle)
    if not needle:
        return "", []
    cut = 0 if quote else proclitic_length(needle.split()[0])
    if cut:
        # A proclitic before the article (بالصين، وللسلام) is cut as the tokenizer cuts it.
        tier, found = candidates(index, needle[cut:], quote)
        if found:
            return "proclitic", found
    for tier in TIERS:
        if tier == "ends" and not quote:
            continue
        found = getattr(index, tier)(needle)
        if found:
            return tier, sorted(set(found))
    return "", []
