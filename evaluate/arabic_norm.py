"""Orthographic normalization for the prediction/gold text consistency check.

A system may have re-saved a text with other alef/hamza forms, ى for ي, ه for ة,
or without tatweel and diacritics. With `norm="arabic"` such a text is accepted
as the same document, and the prediction's offsets are carried over to the gold
text through the normalization (so a span over a removed diacritic stays on the
same letters). Scores are always computed on gold offsets.
"""

from __future__ import annotations

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


def _kept(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if c not in _REMOVED]


def normalize(text: str) -> str:
    """The folded text, with tatweel and diacritics removed."""
    return "".join(c for c in text if c not in _REMOVED).translate(_FOLD)


def offset_map(pred_text: str, gold_text: str) -> list[int] | None:
    """For each offset 0..len(pred_text) the gold offset, or None if the texts differ after normalization."""
    if normalize(pred_text) != normalize(gold_text):
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
