"""Proclitic-aware Arabic tokenization shared by the `ner` config, the baselines and exports.

Arabic writes the conjunctions و ف, the prepositions ب ل ك and the future marker س
glued to the next word. ittifaq spans start after these proclitics (وروسيا -> span
روسيا), so any token-level view of the corpus must be able to cut them off, or a
span would start inside a token. Two ways to cut:

* `boundaries`: exact cut points known from annotation (gold span edges), so gold
  spans always map to whole tokens;
* `split_proclitics=True`: a prediction-time heuristic that cuts a proclitic cluster
  only where the rest begins with the article (وال، بال، فال، كال، لل) or is a known
  name from `lexicon`, which avoids cutting words that merely begin with و (وزير).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable

#: A letter or digit of any script (`\w` without the underscore).
LETTER_OR_DIGIT = r"[^\W_]"
#: A character of a word: a letter or digit of any script, or an Arabic combining mark (harakat,
#: superscript alef, Quranic marks), which `\w` leaves out and which must not split a diacritized
#: word. The scorer counts quote tokens with the same class.
WORD_CHARS = r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED])"
#: A word, with word-internal joiners (apostrophe, hyphen between word characters, dot in "Slon.ru").
_WORD = re.compile(rf"{WORD_CHARS}+(?:[.'’\-]{WORD_CHARS}+)*")
_SPACE = re.compile(r"\s+")

PROCLITICS = "وفبلك"
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")


def _base_tokens(text: str) -> list[tuple[int, int]]:
    """Words and single punctuation marks, as (start, end) code-point offsets."""
    tokens: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _SPACE.match(text, pos)
        if m:
            pos = m.end()
            continue
        m = _WORD.match(text, pos)
        if m:
            tokens.append((m.start(), m.end()))
            pos = m.end()
            continue
        tokens.append((pos, pos + 1))
        pos += 1
    return tokens


def proclitic_length(word: str, lexicon: Collection[str] = ()) -> int:
    """How many leading characters of `word` are proclitics to cut off (0 if none).

    Cuts a cluster of up to two proclitics (وب، فل، وك …) when the remainder starts
    with ال, or for ل followed by ل (لل = ل + ال with the alef elided), or when the
    remainder is in `lexicon`.
    """
    best = 0
    for k in (1, 2):
        if len(word) <= k + 1:
            break
        head, rest = word[:k], word[k:]
        if any(c not in PROCLITICS for c in head):
            break
        if k == 2 and head[0] not in "وف":
            break
        if rest.startswith("ال") and len(rest) > 3:
            best = k
        elif head[-1] == "ل" and rest.startswith("ل") and len(rest) > 2:
            best = k
        elif rest in lexicon:
            best = k
    return best


def tokenize(
    text: str,
    boundaries: Iterable[int] = (),
    split_proclitics: bool = False,
    lexicon: Collection[str] = (),
) -> list[tuple[int, int]]:
    """Tokens as (start, end) offsets into `text`, cut additionally at `boundaries`."""
    cuts = sorted(set(boundaries))
    tokens = _base_tokens(text)
    out: list[tuple[int, int]] = []


    for start, end in tokens:
        points = [start]
        if split_proclitics and _ARABIC_LETTER.match(text, start):
            k = proclitic_length(text[start:end], lexicon)
            if k:
                points.append(start + k)
        if cuts:
            i = bisect.bisect_right(cuts, start)
            while i < len(cuts) and cuts[i] < end:
                points.append(cuts[i])
                i += 1
        points = sorted(set(points))
        points.append(end)
        for a, b in zip(points, points[1:], strict=False):
            if a < b:
                out.append((a, b))
    return out


def bio_tags(
    tokens: list[tuple[int, int]], spans: Iterable[tuple[int, int, str]]
) -> list[str]:
    """IOB2 tags for non-overlapping (start, end, label) spans that align with `tokens`.

    Raises ValueError if a span does not start and end on token edges, so a caller
    never trains on silently shifted labels.
    """
    starts = {a: i for i, (a, _) in enumerate(tokens)}
    ends = {b: i for i, (_, b) in enumerate(tokens)}
    tags = ["O"] * len(tokens)
    for start, end, label in sorted(spans):
        if start not in starts or end not in ends:
            raise ValueError(f"span {start}-{end} ({label}) does not align with token edges")
        i, j = starts[start], ends[end]
        if any(t != "O" for t in tags[i : j + 1]):
            raise ValueError(f"span {start}-{end} ({label}) overlaps another span in one BIO layer")
        tags[i] = f"B-{label}"
        for k in range(i + 1, j + 1):
            tags[k] = f"I-{label}"
    return tags


def spans_from_bio(tokens: list[tuple[int, int]], tags: list[str]) -> list[tuple[int, int, str]]:
    """Decode IOB2 (tolerating an I- that starts a span) back to (start, end, label)."""
    spans: list[tuple[int, int, str]] = []
    cur: list | None = None
    for (a, b), tag in zip(tokens, tags, strict=True):
        if tag == "O" or "-" not in tag:
            if cur:
                spans.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
            continue
        prefix, label = tag.split("-", 1)
        if prefix == "B" or cur is None or cur[2] != label:
            if cur:
                spans.append(tuple(cur))  # type: ignore[arg-type]
            cur = [a, b, label]
        else:
            cur[1] = b
    if cur:
        spans.append(tuple(cur))  # type: ignore[arg-type]
    return spans
