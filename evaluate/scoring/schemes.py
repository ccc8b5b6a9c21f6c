"""The layouts of the span schemes' and relation modes' counts, and the clitic rule.

The schemes and modes are named in `report_tree`. A scheme decides when a predicted span is correct for a gold span it overlaps (its rule is
in `counts.compute_counts`); a relation mode, when a predicted relation is. The clitic
scheme accepts a start that differs only by what the guidelines keep outside a span.
"""

from __future__ import annotations

import re

GOLD_SIDE: tuple[str, ...] = ("correct", "incorrect", "partial", "missed")
PRED_SIDE: tuple[str, ...] = ("correct", "incorrect", "partial", "spurious")
REL_COUNTS: tuple[str, ...] = ("tp", "pred", "gold")

#: Arabic short vowels, tanween, shadda and sukun (U+064B-U+0652): a proclitic or the article may carry them.
_MARK_CHARS = "".join(map(chr, range(0x64B, 0x653)))
_MARKS = f"[{_MARK_CHARS}]*"
#: What a `clitic` prediction may add before gold's start: up to two proclitics (a second one
#: only after و or ف), perhaps vocalized and perhaps followed by a tatweel (بـ before a Latin
#: word or a number), and/or the article ال.
CLITIC_ADDED = re.compile(f"(?:(?:[وف]{_MARKS})?[وفبلك]{_MARKS}\u0640?)?(?:ا{_MARKS}ل{_MARKS})?")
#: What it may leave out at gold's start: the article, which gold keeps inside (guidelines §1.2),
#: or, where gold starts after the ل of لل (§1.1), the ل that stands for the article there.
CLITIC_LEFT_OUT = re.compile(f"ا{_MARKS}ل{_MARKS}")
_LAM_LEFT_OUT = re.compile(f"ل{_MARKS}")


def clitic_equal(text: str, gs: int, ge: int, ps: int, pe: int) -> bool:
    """Same end, and the starts differ only by what the guidelines keep outside a span.

    Gold says where the word starts, so the rule is not symmetric: a prediction may take
    proclitics gold leaves out, but leaving out a letter gold takes is an error, since gold
    takes none but the article's (`زير` for gold `وزير`, `بنان` for `لبنان`)."""
    if ge != pe or gs == ps or max(gs, ps) >= ge:
        return False
    if ps < gs:
        return CLITIC_ADDED.fullmatch(text, ps, gs) is not None
    if CLITIC_LEFT_OUT.fullmatch(text, gs, ps) is not None:
        return True
    if _LAM_LEFT_OUT.fullmatch(text, gs, ps) is None:
        return False
    i = gs - 1
    while i >= 0 and text[i] in _MARK_CHARS:
        i -= 1
    return i >= 0 and text[i] == "ل"
