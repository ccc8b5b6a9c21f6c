"""The relation step shared by `crf` and `spacy`: logistic regression over candidate span pairs.

Candidates: for each relation label, every (head, tail) pair whose labels the schema
allows, with the tail in the head's sentence or the next/previous one (`affiliation`:
same sentence only). Features: the labels, direction (tail before / after / inside /
around the head), token gap and sentence distance buckets, the tail's distance rank
among same-label candidates (overall and on its side), cue and complementizer words
between the two, whether the tail sits inside another quote, the words just before
head and tail, and the words between when the gap is short.

Decoding: `speaker` and `cue` keep at most one tail per quote (the most probable, if
p >= 0.5); `party` and `affiliation` keep every pair with p >= 0.5. One binary model
per relation label, trained on gold spans of the training split; gold pairs outside
the candidate window are counted in `unreachable` so nothing is lost silently.
`transformer` adds dense features of each pair (`pair_features`, one function per
document: the encoder's pooled head and tail vectors, `baselines.span_vectors`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ittifaq.baselines.features import COMPLEMENTIZERS, TokenView, cue_words
from ittifaq.baselines.linear import Features, LinearClassifier
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.schema import RELATIONS, Document

SINGLE_TAIL = frozenset({"speaker", "cue"})
THRESHOLD = 0.5

#: (start, end, label)
Item = tuple[int, int, str]
#: A document's extra features of a (head, tail) pair, e.g. the encoder's span vectors.
PairFeatures = Callable[[Item, Item], Features]


def _bucket(n: int) -> str:
    for limit, name in ((0, "0"), (1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"), (20, "11-20")):
        if n <= limit:
            return name
    return ">20"


def _token_range(view: TokenView, start: int, end: int) -> tuple[int, int]:
    """First and last token index covering characters start..end."""
    starts = [a for a, _ in view.tokens]
    i = max(0, bisect.bisect_right(starts, start) - 1)
    j = max(i, bisect.bisect_left(starts, end) - 1)
    return i, j


def candidates(view: TokenView, items: Sequence[Item]) -> list[tuple[str, int, int, Features]]:
    """Every allowed (relation, head, tail) pair in the window, with its features."""
    if not items:
        return []
    cues = cue_words()
    ranges = [_token_range(view, a, b) for a, b, _ in items]
    sents = [view.sent[i] for i, _ in ranges]
    quotes = [k for k, it in enumerate(items) if it[2] == "QUOTE"]
    out: list[tuple[str, int, int, Features]] = []
    for rel, (heads, tails) in RELATIONS.items():
        max_sd = 0 if rel == "affiliation" else 1
        for h, hit in enumerate(items):
            if hit[2] not in heads:
                continue
            hi, hj = ranges[h]
            pairs = []
            for t, tit in enumerate(items):
                if t == h or tit[2] not in tails or abs(sents[t] - sents[h]) > max_sd:
                    continue
                ti, tj = ranges[t]
                if ti >= hi and tj <= hj:
                    direction, gap = "inside", 0
                elif hi >= ti and hj <= tj:
                    direction, gap = "around", 0
                elif tj < hi:
                    direction, gap = "before", hi - tj - 1
                else:
                    direction, gap = "after", max(0, ti - hj - 1)
                pairs.append((t, direction, gap))
            by_gap = sorted(pairs, key=lambda p: (p[2], p[0]))
            rank = {p[0]: r for r, p in enumerate(by_gap)}
            side_rank: dict[int, int] = {}
            for side in ("before", "after", "inside", "around"):
                for r, p in enumerate(x for x in by_gap if x[1] == side):
                    side_rank[p[0]] = r
            for t, direction, gap in pairs:
                ti, tj = ranges[t]
                lo, hi_ = (tj + 1, hi) if direction == "before" else (hj + 1, ti)
                between = view.norm[lo:hi_] if direction in ("before", "after") else []
                f: Features = {
                    "pair": f"{hit[2]}>{items[t][2]}",
                    "dir": direction,
                    "gap": _bucket(gap),
                    "sd": str(abs(sents[t] - sents[h])),
                    "rank": str(min(rank[t], 3)),
                    "side_rank": f"{direction}{min(side_rank[t], 2)}",
                    "cue_between": any(w in cues for w in between),
                    "comp_between": any(w in COMPLEMENTIZERS for w in between),
                    "tail_prev": view.norm[ti - 1] if ti > 0 else "<s>",
                    "head_prev": view.norm[hi - 1] if hi > 0 else "<s>",
                    "tail_in_quote": any(
                        q != h and ranges[q][0] <= ti and tj <= ranges[q][1] for q in quotes
                    ),
                }
                f[f"dir_gap={direction}{_bucket(gap)}"] = 1.0
                if 0 < len(between) <= 4:
                    for w in between:
                        f[f"btw={w}"] = 1.0
                out.append((rel, h, t, f))
    return out


class RelationModel:
    """One binary logistic regression per relation label."""

    def __init__(self, models: dict[str, LinearClassifier] | None = None) -> None:
        self.models = models or {}
        self.stats: dict[str, int] = {}

    @classmethod
    def train(cls, docs: Sequence[tuple[Document, TokenView]], c: float = 1.0, seed: int = 0,
              pair_features: Sequence[PairFeatures] | None = None) -> RelationModel:
        """Fit on the gold spans' candidates; `pair_features` (one per document) adds dense features."""
        xs: dict[str, list[Features]] = {r: [] for r in RELATIONS}
        ys: dict[str, list[str]] = {r: [] for r in RELATIONS}
        gold_total = reachable = 0
        for k, (doc, view) in enumerate(docs):
            extra = pair_features[k] if pair_features is not None else None
            items = [(s.start, s.end, s.label) for s in doc.spans]
            index = {s.id: k for k, s in enumerate(doc.spans)}
            gold = {(r.label, index[r.head], index[r.tail]) for r in doc.relations}
            gold_total += len(gold)
            for rel, h, t, f in candidates(view, items):
                if extra is not None:
                    f.update(extra(items[h], items[t]))
                y = (rel, h, t) in gold
                reachable += y
                xs[rel].append(f)
                ys[rel].append("1" if y else "0")
        model = cls({r: LinearClassifier.fit(xs[r], ys[r], c=c, seed=seed) for r in RELATIONS})
        model.stats = {"gold": gold_total, "reachable": reachable, "unreachable": gold_total - reachable}
        return model

    def predict(self, view: TokenView, items: Sequence[Item],
                pair_features: PairFeatures | None = None) -> list[tuple[str, int, int]]:
        cands = candidates(view, items)
        if pair_features is not None:
            for _, h, t, f in cands:
                f.update(pair_features(items[h], items[t]))
        out: list[tuple[str, int, int]] = []
        for rel in RELATIONS:
            mine = [(h, t, f) for r, h, t, f in cands if r == rel]
            if not mine:
                continue
            clf = self.models.get(rel)
            if clf is None or not clf.classes:
                continue
            if len(clf.classes) < 2:
                p = np.full(len(mine), 1.0 if clf.classes == ["1"] else 0.0)
            else:
                p = clf.predict_proba([f for _, _, f in mine])[:, clf.classes.index("1")]
            if rel in SINGLE_TAIL:
                best: dict[int, tuple[float, int]] = {}
                for (h, t, _), pk in zip(mine, p, strict=True):
                    if pk >= THRESHOLD and (h not in best or pk > best[h][0]):
                        best[h] = (float(pk), t)
                out.extend((rel, h, t) for h, (_, t) in sorted(best.items()))
            else:
                out.extend((rel, h, t) for (h, t, _), pk in zip(mine, p, strict=True) if pk >= THRESHOLD)
        return out

    def save(self, directory: Path) -> None:
        for rel, clf in self.models.items():
            clf.save(directory, f"relation_{rel}")
        write_text_atomic(directory / "relations.json", json.dumps({"labels": sorted(self.models), "stats": self.stats}))

    @classmethod
    def load(cls, directory: Path) -> RelationModel:
        meta = json.loads((directory / "relations.json").read_text(encoding="utf-8"))
        model = cls({rel: LinearClassifier.load(directory, f"relation_{rel}") for rel in meta["labels"]})
        model.stats = meta.get("stats", {})
        return model
