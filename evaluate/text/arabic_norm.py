"""Orthographic normalization for the prediction/gold text consistency check.

A system may have re-saved a text with other alef/hamza forms, ى for ي, ه for ة,
or without tatweel and diacritics. With `norm="arabic"` such a text is accepted
as the same document, and the prediction's offsets are carried over to the gold
text through the normalization (so a span over a removed diacritic stays on the
same letters). Scores are always computed on gold offsets, and under `arabic` both
sides' boundaries are snapped past removed characters (`snap_spans`): where a
diacritic or tatweel falls inside or outside a span then never decides a match,
whether or not the prediction's text was re-spelled.
"""

from __future__ import annotations

import numpy as np

NORMS: tuple[str, ...] = ("none", "arabic")

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
    }
)
#: Removed characters: tatweel, Arabic diacritics (harakat, tanwin, shadda, sukun, dagger alef).
_REMOVED = frozenset(["\u0640", "\u0670", *map(chr, range(0x064B, 0x0660))])


#: One table for `str.translate`: folds and removals in a single pass in C (a dict lookup per character:
#: several seconds for 100 M characters, so `same_after_normalization` translates only where texts differ).
_NORMALIZE = {**_FOLD, **{ord(c): None for c in _REMOVED}}


def _kept(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if c not in _REMOVED]


def normalize(text: str) -> str:
    """The folded text, with tatweel and diacritics removed."""
    return text.translate(_NORMALIZE)


def _common_prefix(a: str, b: str, step: int = 1 << 20) -> int:
    """Length of the longest common prefix, compared a slice at a time (memcmp), then by halving."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + step] == b[i : i + step]:
        i += step
    lo, hi = i, min(i + step, n)  # the prefix ends in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return min(lo, n)


def same_after_normalization(pred_text: str, gold_text: str) -> bool:
    """Whether two texts differ only in what `normalize` folds or removes (no offset map is built).

    `normalize` maps each character on its own, so a common prefix and suffix normalize alike
    and only the part between them is translated."""
    p = _common_prefix(pred_text, gold_text)
    a, b = pred_text[p:], gold_text[p:]
    s = _common_prefix(a[::-1], b[::-1])
    return normalize(a[: len(a) - s]) == normalize(b[: len(b) - s])


def offset_map(pred_text: str, gold_text: str) -> list[int] | None:
    """For each offset 0..len(pred_text) the gold offset, or None if the texts differ after normalization."""
    if not same_after_normalization(pred_text, gold_text):
        return None
    pk, gk = _kept(pred_text), _kept(gold_text)
    out: list[int] = []
    n_kept = 0
    for i in range(len(pred_text) + 1):
        # Offset i of the prediction sits before its n_kept-th kept character.
        out.append(gk[n_kept] if n_kept < len(gk) else len(gold_text))
        if i < len(pred_text) and n_kept < len(pk) and pk[n_kept] == i:
            n_kept += 1
    return out


#: Code point -> removed by `normalize`; the last entry stands for every code point above U+0670.
_REMOVED_CODE = np.zeros(0x672, bool)
_REMOVED_CODE[[ord(c) for c in _REMOVED]] = True


def snap_spans(texts: list[str | None], doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Span offsets moved forward past removed characters: a start onto the next kept
    character, an end over the removed characters that follow it (as `offset_map` maps).
    A span of removed characters only keeps its offsets (it would become empty)."""
    if len(doc) == 0:
        return start, end
    lengths = np.fromiter((len(t or "") for t in texts), np.int64, len(texts))
    base = np.concatenate([[0], np.cumsum(lengths)[:-1]])[doc]
    codes = np.frombuffer("".join(t or "" for t in texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    removed = _REMOVED_CODE[np.minimum(codes, len(_REMOVED_CODE) - 1)]
    kept = np.append(np.flatnonzero(~removed), len(codes))  # a sentinel after the last text
    doc_end = base + lengths[doc]

    def snap(x: np.ndarray) -> np.ndarray:
        return np.minimum(kept[np.searchsorted(kept, base + x)], doc_end) - base

    s2, e2 = snap(start), snap(end)
    ok = s2 < e2
    return np.where(ok, s2, start), np.where(ok, e2, end)
