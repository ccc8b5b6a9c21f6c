"""Token overlap of quoted content: how much of gold's quoted words a prediction covers."""

from __future__ import annotations

import re

import numpy as np

from ittifaq.evaluate.scoring.tables import SpanTable
from ittifaq.evaluate.text.tokenize import LETTER_OR_DIGIT, WORD_CHARS

#: A word for the quote token overlap: a run of word characters (tokenize.WORD_CHARS) that holds
#: a letter or digit: a quote cut inside a word after its last letter leaves no token of marks only.
_WORD = re.compile(f"(?:(?!{LETTER_OR_DIGIT}){WORD_CHARS})*{LETTER_OR_DIGIT}{WORD_CHARS}*")



def token_overlap(texts: list[str | None], G: SpanTable, P: SpanTable, g_sel: np.ndarray, p_sel: np.ndarray, n_docs: int) -> np.ndarray:
    """[n, 3] tokens in both, in the predicted and in the gold selected spans, per document
    (overlapping spans of a side are merged first, so no token counts twice)."""
    out = np.zeros((n_docs, 3), np.int64)
    by_doc_g: dict[int, list[tuple[int, int]]] = {}
    by_doc_p: dict[int, list[tuple[int, int]]] = {}
    for i in np.flatnonzero(g_sel).tolist():
        by_doc_g.setdefault(int(G.doc[i]), []).append((int(G.start[i]), int(G.end[i])))
    for i in np.flatnonzero(p_sel).tolist():
        by_doc_p.setdefault(int(P.doc[i]), []).append((int(P.start[i]), int(P.end[i])))
    for d in set(by_doc_g) | set(by_doc_p):
        text = texts[d] or ""
        gi_ = _merge(by_doc_g.get(d, []))
        pi_ = _merge(by_doc_p.get(d, []))
        out[d] = (_token_count(text, _intersect(gi_, pi_)), _token_count(text, pi_), _token_count(text, gi_))
    return out



def _token_count(text: str, intervals: list[tuple[int, int]]) -> int:
    return sum(len(_WORD.findall(text, a, b)) for a, b in intervals)


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _intersect(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out
