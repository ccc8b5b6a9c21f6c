"""Long documents through a fixed-length encoder: overlapping windows of whole words.

An ittifaq article runs to thousands of subwords, an encoder takes a few hundred. The
words of a document (the project's proclitic-split tokens) are packed greedily into
windows of at most `budget` subwords; the next window starts `overlap` subwords
before the previous one ended (at a word edge), so every word but the first and last
few is seen with context on both sides. A word longer than the budget gets a window
of its own (its tail is cut by the tokenizer; only its first subword is labelled).
Predictions for a word seen in several windows are averaged (`transformer` baseline).
"""

from __future__ import annotations


def word_windows(lengths: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """(first word, end word) of each window over words of `lengths` subwords each."""
    if budget < 1:
        raise ValueError("budget must be at least one subword")
    n = len(lengths)
    windows: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end, used = start, 0
        while end < n and (end == start or used + lengths[end] <= budget):
            used += lengths[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            break
        back, nxt = 0, end
        while nxt - 1 > start + 1 and back + lengths[nxt - 1] <= overlap:
            nxt -= 1
            back += lengths[nxt]
        start = nxt
    return windows
