"""The token view every baseline shares: normalization, lexicons, tokens, sentences, BIO layers, CRF features.

All three baselines look at a document through the same proclitic-aware tokens
(ittifaq.evaluate.text.tokenize) so their numbers differ by model, not by tokenization.
At training time gold span edges are extra cut points, so every gold span maps to
whole tokens; at prediction time only the proclitic heuristic and the training
lexicon cut words.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ittifaq.evaluate.schema import LAYERS, Document
from ittifaq.evaluate.text.tokenize import tokenize

_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F.'’\-]*$")
_DIGIT = re.compile(r"^[0-9\u0660-\u0669]+$")
_ARABIC = re.compile(r"[\u0621-\u064A]")

OPEN_MARKS = frozenset("«“„")
CLOSE_MARKS = frozenset("»”")
BOTH_MARKS = frozenset('"')
QUOTE_MARKS = OPEN_MARKS | CLOSE_MARKS | BOTH_MARKS
SENTENCE_END = frozenset(".!?؟")
COMPLEMENTIZERS = frozenset({"ان", "بان", "لان"})

#: layer name -> labels, one BIO tagger per layer because layers overlap.
LAYER_NAMES: tuple[str, ...] = tuple(LAYERS)


def normalize(word: str) -> str:
    """Fold spelling variants (hamza/alef forms, ى/ي, ة/ه, diacritics, tatweel) for lexicon lookups."""
    return _DIACRITICS.sub("", word).translate(_ALEF).lower()


@cache
def word_list(name: str) -> frozenset[str]:
    """A bundled one-word-a-line lexicon, normalized (lines starting with # are comments)."""
    text = resources.files("ittifaq.baselines").joinpath(f"lexicons/{name}.txt").read_text(encoding="utf-8")
    return frozenset(normalize(w.strip()) for w in text.splitlines() if w.strip() and not w.startswith("#"))


@cache
def keyword_map(name: str) -> dict[str, str]:
    """A bundled keyword<TAB>value lexicon, keys normalized."""
    text = resources.files("ittifaq.baselines").joinpath(f"lexicons/{name}.txt").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.split("\t")
        out[normalize(key.strip())] = value.strip()
    return out


def cue_words() -> frozenset[str]:
    return word_list("cues")


def trigger_words() -> frozenset[str]:
    return word_list("agreement_triggers")


@dataclass(slots=True)
class TokenView:
    """A document as tokens with sentence indices; `norm` holds normalized token strings."""

    text: str
    tokens: list[tuple[int, int]]
    words: list[str]
    norm: list[str]
    sent: list[int]

    def __len__(self) -> int:
        return len(self.tokens)

    def token_index(self) -> tuple[dict[int, int], dict[int, int]]:
        """Maps from a start offset to its token and from an end offset to its token."""
        return {a: i for i, (a, _) in enumerate(self.tokens)}, {b: i for i, (_, b) in enumerate(self.tokens)}

    def char_span(self, i: int, j: int) -> tuple[int, int]:
        """Character offsets of tokens i..j inclusive."""
        return self.tokens[i][0], self.tokens[j][1]


def _raw_lexicon_words() -> set[str]:
    """Cue and trigger words as they are written (so a glued و/ف/ب/ل can be cut before them)."""
    words: set[str] = set()
    for name in ("cues", "agreement_triggers"):
        text = resources.files("ittifaq.baselines").joinpath(f"lexicons/{name}.txt").read_text(encoding="utf-8")
        words.update(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))
    return words


def tokenizer_lexicon(docs: Iterable[Document]) -> list[str]:
    """Words before which a proclitic may be cut: actor words seen in training plus cue/trigger words."""
    words = _raw_lexicon_words()
    for doc in docs:
        for s in doc.spans:
            if s.label in LAYERS["actors"]:
                words.update(s.text.split())
            elif s.label in ("CUE", "AGREEMENT") and s.text:
                words.add(s.text.split()[0])
    return sorted(words)


def make_view(text: str, lexicon: Iterable[str], boundaries: Iterable[int] = ()) -> TokenView:
    """Tokens, normalized words and sentence ids (a sentence ends at . ! ? ؟ or a line break)."""
    lex = lexicon if isinstance(lexicon, (set, frozenset)) else frozenset(lexicon)
    tokens = tokenize(text, boundaries=boundaries, split_proclitics=True, lexicon=lex)
    words = [text[a:b] for a, b in tokens]
    sent: list[int] = []
    sid = 0
    prev_end = 0
    for k, (a, _b) in enumerate(tokens):
        if k and ("\n" in text[prev_end:a] or words[k - 1] in SENTENCE_END):
            sid += 1
        sent.append(sid)
        prev_end = _b
    return TokenView(text, tokens, words, [normalize(w) for w in words], sent)


def gold_view(doc: Document, lexicon: Iterable[str]) -> TokenView:
    """The training view: gold span edges are cut points so labels align with tokens."""
    edges = {s.start for s in doc.spans} | {s.end for s in doc.spans}
    return make_view(doc.text or "", lexicon, edges)


def layer_spans(doc: Document, layer: str) -> tuple[list[tuple[int, int, str]], int]:
    """The layer's gold spans that fit one BIO sequence (longest first), and how many nested ones were left out."""
    labels = LAYERS[layer]
    cands = sorted(
        ((s.start, s.end, s.label) for s in doc.spans if s.label in labels), key=lambda t: (t[0] - t[1], t[0])
    )
    kept: list[tuple[int, int, str]] = []
    dropped = 0
    for a, b, lab in cands:
        if any(a < kb and ka < b for ka, kb, _ in kept):
            dropped += 1
            continue
        kept.append((a, b, lab))
    return sorted(kept), dropped


class Gazetteer:
    """Actor surfaces seen in training (normalized token tuples -> majority label).

    `docs_of` remembers which training documents hold each entry so training features
    can be computed leave-one-document-out, as they will be on unseen text.
    """

    def __init__(self, entries: dict[tuple[str, ...], str] | None = None) -> None:
        self.entries: dict[tuple[str, ...], str] = dict(entries or {})
        self.docs_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.max_len = max((len(k) for k in self.entries), default=0)

    @classmethod
    def build(cls, docs: Iterable[Document], lexicon: Iterable[str]) -> Gazetteer:
        lex = frozenset(lexicon)
        counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        docs_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for doc in docs:
            for s in doc.spans:
                if s.label not in LAYERS["actors"]:
                    continue
                key = tuple(make_view(s.text, lex).norm)
                if key:
                    counts[key][s.label] += 1
                    docs_of[key].add(doc.id)
        gaz = cls({k: c.most_common(1)[0][0] for k, c in sorted(counts.items())})
        gaz.docs_of = docs_of
        return gaz

    def to_json(self) -> list[list]:
        return [[list(k), v] for k, v in sorted(self.entries.items())]

    @classmethod
    def from_json(cls, data: list[list]) -> Gazetteer:
        return cls({tuple(k): v for k, v in data})

    def tags(self, view: TokenView, exclude_doc: str | None = None) -> list[str]:
        """BIO tags of greedy longest matches (entries only seen in `exclude_doc` are ignored)."""
        tags = ["O"] * len(view)
        i = 0
        n = len(view)
        while i < n:
            found = 0
            for length in range(min(self.max_len, n - i), 0, -1):
                key = tuple(view.norm[i : i + length])
                label = self.entries.get(key)
                if label is None:
                    continue
                if exclude_doc is not None and self.docs_of.get(key, set()) <= {exclude_doc}:
                    continue
                if any(view.sent[i + k] != view.sent[i] for k in range(length)):
                    continue
                tags[i] = f"B-{label}"
                for k in range(1, length):
                    tags[i + k] = f"I-{label}"
                found = length
                break
            i += found or 1

        return tags


def quote_state(view: TokenView) -> list[int]:
    """1 for tokens inside quotation marks (marks themselves 0), per sentence-independent scan."""
    inside = [0] * len(view)
    depth = 0
    ascii_open = False
    for i, w in enumerate(view.words):
        if w in OPEN_MARKS:
            depth += 1
            continue
        if w in CLOSE_MARKS:
            depth = max(0, depth - 1)
            continue
        if w in BOTH_MARKS:
            ascii_open = not ascii_open
            continue
        if "\n" in view.text[view.tokens[i - 1][1] if i else 0 : view.tokens[i][0]]:
            depth, ascii_open = 0, False
        inside[i] = int(depth > 0 or ascii_open)
    return inside


def _shape(word: str) -> str:
    if _DIGIT.match(word):
        return "digit"
    if _LATIN.match(word):
        return "Latin-cap" if word[:1].isupper() else "latin"
    if _ARABIC.match(word):
        return "arabic"
    if word in QUOTE_MARKS:
        return "quote"
    if len(word) == 1:
        return "punct"
    return "other"


def token_features(view: TokenView, gaz_tags: list[str]) -> list[dict[str, object]]:
    """CRF features: word, affixes, shape, lexicon and gazetteer hits, quote state, windows, position.

    Documented in baselines/README-style form in the module docstring of crf.py.
    """
    cues = cue_words()
    triggers = trigger_words()
    inside = quote_state(view)
    n = len(view)
    base: list[dict[str, object]] = []
    last_cue = -100
    last_comp = -100
    sent_start = 0
    for i in range(n):
        w = view.norm[i]
        if i and view.sent[i] != view.sent[i - 1]:
            sent_start = i
            last_cue = last_comp = -100
        if w in cues:
            last_cue = i
        f: dict[str, object] = {
            "w": w,
            "p1": w[:1],
            "p2": w[:2],
            "p3": w[:3],
            "s1": w[-1:],
            "s2": w[-2:],
            "s3": w[-3:],
            "al": w.startswith("ال"),
            "shape": _shape(view.words[i]),
            "len": min(len(w), 8),
            "gaz": gaz_tags[i],
            "cue": w in cues,
            "trig": w in triggers,
            "comp": w in COMPLEMENTIZERS,
            "inq": inside[i],
            "sent_first": i == sent_start,
            "pos": min(i - sent_start, 10) // 3,
            "after_cue": min(i - last_cue, 12) // 3 if last_cue >= 0 else -1,
            "after_comp": min(i - last_comp, 30) // 6 if last_comp >= 0 else -1,
        }
        if w in COMPLEMENTIZERS:
            last_comp = i
        base.append(f)
    feats: list[dict[str, object]] = []
    for i in range(n):
        f = {"bias": 1.0, **base[i]}
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n and view.sent[j] == view.sent[i]:
                f[f"{off}:w"] = view.norm[j]
                f[f"{off}:gaz"] = base[j]["gaz"]
                f[f"{off}:shape"] = base[j]["shape"]
                if abs(off) == 1:
                    f[f"{off}:cue"] = base[j]["cue"]
                    f[f"{off}:trig"] = base[j]["trig"]
                    f[f"{off}:comp"] = base[j]["comp"]
                    f[f"{off}:s2"] = base[j]["s2"]
            else:
                f[f"{off}:w"] = "<s>"
        feats.append(f)
    return feats
