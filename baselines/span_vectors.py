"""The encoder's pooled span vectors as dense features for the attribute and relation classifiers.

A span's vector is the mean of its words' vectors (the `transformer` encoder's last
hidden state at each word's first subword, from the same windowed pass that tags).
An encoder's hidden size (768 for a base model) would swamp the logistic
regressions' sparse features and make every relation candidate a few thousand
numbers, so the vectors are reduced by a whitened PCA fitted on the training split's
gold span vectors (at most `DIMS` components, each of unit variance on training
spans). Attribute classifiers get the span's components (`sv0`, `sv1`, …); the
relation classifier gets the head's (`hv…`), the tail's (`tv…`) and their product
(`pv…`). The projection is saved as JSON; applying it is plain NumPy, so no torch.
Training keeps only the gold spans' pooled vectors (`span_table`), not every word's:
a base encoder's word vectors for the whole training split would take gigabytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ittifaq.baselines.features import TokenView
from ittifaq.baselines.linear import Features
from ittifaq.baselines.relations import Item, _token_range
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.io.errors import InputError

#: The most PCA components kept.
DIMS = 32
FILE = "span_vectors.json"

#: A document's pooled (raw, unprojected) vector of the span start..end.
Pooler = Callable[[int, int], np.ndarray]


def pooled(view: TokenView, word_vectors: np.ndarray, start: int, end: int) -> np.ndarray:
    """Mean of the vectors of the words covering characters start..end."""
    i, j = _token_range(view, start, end)
    return word_vectors[i : j + 1].mean(axis=0)


def pooler(view: TokenView, word_vectors: np.ndarray) -> Pooler:
    """Any span's pooled vector, from the document's word vectors (prediction)."""
    return lambda start, end: pooled(view, word_vectors, start, end)


def span_table(view: TokenView, word_vectors: np.ndarray, spans: Sequence[tuple[int, int]]) -> dict[tuple[int, int], np.ndarray]:
    """The pooled vectors of the given spans only (training: the gold spans)."""
    return {(a, b): pooled(view, word_vectors, a, b).astype(np.float32) for a, b in spans}


def table_pooler(table: dict[tuple[int, int], np.ndarray]) -> Pooler:
    return lambda start, end: table[(start, end)]


class SpanProjection:
    """A whitened PCA of span vectors: x -> (x - mean) @ components.T / scale."""

    def __init__(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.components = np.asarray(components, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    @property
    def dims(self) -> int:
        return int(self.components.shape[0])

    @classmethod
    def fit(cls, vectors: np.ndarray, dims: int = DIMS, seed: int = 0) -> SpanProjection | None:
        """Fit on (spans x hidden) vectors; None when there are too few spans to fit anything."""
        n, hidden = vectors.shape if vectors.ndim == 2 else (0, 0)
        k = min(dims, hidden, n - 1)
        if k < 1:
            return None
        from sklearn.decomposition import PCA

        pca = PCA(n_components=k, random_state=seed).fit(vectors.astype(np.float64))
        scale = np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
        return cls(pca.mean_, pca.components_, scale)

    def __call__(self, vector: np.ndarray) -> np.ndarray:
        return ((np.asarray(vector, dtype=np.float64) - self.mean) @ self.components.T) / self.scale

    def span_features(self, pooled_of: Pooler) -> Callable[[int, int], Features]:
        """The attribute step's dense features of a span of one document."""
        def features(start: int, end: int) -> Features:
            v = self(pooled_of(start, end))
            return {f"sv{k}": float(x) for k, x in enumerate(v)}

        return features

    def pair_features(self, pooled_of: Pooler) -> Callable[[Item, Item], Features]:
        """The relation step's dense features of a (head, tail) pair of one document."""
        cache: dict[tuple[int, int], np.ndarray] = {}

        def vec(item: Item) -> np.ndarray:
            key = (item[0], item[1])
            if key not in cache:
                cache[key] = self(pooled_of(item[0], item[1]))
            return cache[key]

        def features(head: Item, tail: Item) -> Features:
            h, t = vec(head), vec(tail)
            f: Features = {f"hv{k}": float(x) for k, x in enumerate(h)}
            f.update({f"tv{k}": float(x) for k, x in enumerate(t)})
            f.update({f"pv{k}": float(x) for k, x in enumerate(h * t)})
            return f

        return features

    def save(self, directory: Path) -> None:
        data = {"mean": self.mean.tolist(), "components": self.components.tolist(), "scale": self.scale.tolist()}
        write_text_atomic(directory / FILE, json.dumps(data))

    @classmethod
    def load(cls, directory: Path) -> SpanProjection:
        path = directory / FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            projection = cls(data["mean"], data["components"], data["scale"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: cannot read the span-vector projection ({exc})") from None
        if projection.components.ndim != 2 or projection.components.shape[1:] != projection.mean.shape \
                or projection.scale.shape != (projection.dims,):
            raise InputError(f"{path}: the span-vector projection's arrays do not fit together")
        return projection

