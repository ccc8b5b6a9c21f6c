"""Conversion between code-point offsets (ours, Python's) and UTF-16 code units.

Java (UIMA, INCEpTION) and JavaScript index strings in UTF-16 code units, so every
character outside the Basic Multilingual Plane (emoji, some CJK) counts twice there.
"""

from __future__ import annotations

import bisect
from itertools import accumulate


def utf16_index(text: str) -> list[int]:
    """`index[i]` is the UTF-16 offset of code point `i` (length len(text) + 1)."""
    return [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]


def to_utf16(text: str, offset: int) -> int:
    """The UTF-16 offset of code-point `offset` in `text`."""
    return offset + sum(1 for c in text[:offset] if ord(c) > 0xFFFF)


def from_utf16(text: str, offset: int) -> int:
    """The code-point offset of UTF-16 `offset`; ValueError if it falls inside a surrogate pair."""
    index = utf16_index(text)
    i = bisect.bisect_left(index, offset)
    if i >= len(index) or index[i] != offset:
        raise ValueError(f"UTF-16 offset {offset} falls inside a character or beyond the text")
    return i
