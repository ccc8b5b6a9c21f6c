"""Logistic regression over sparse feature dicts, saved as JSON + NumPy so loading never runs code.

scikit-learn fits the weights; prediction is re-done here with NumPy from the saved
arrays, so a saved model needs no pickle and gives the same numbers after loading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ittifaq.evaluate.io.atomic import write_bytes_atomic, write_text_atomic

Features = dict[str, object]


def _expand(x: Features) -> dict[str, float]:
    """One-hot string values as `name=value`, keep numbers and booleans as they are."""
    out: dict[str, float] = {}
    for k, v in x.items():
        if isinstance(v, str):
            out[f"{k}={v}"] = 1.0
        else:
            out[k] = float(v)  # type: ignore[arg-type]
    return out


class LinearClassifier:
    """Multinomial (or binary) logistic regression with a fixed feature vocabulary."""

    def __init__(self, vocab: dict[str, int], classes: list[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.vocab = vocab
        self.classes = classes
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def fit(cls, xs: Sequence[Features], ys: Sequence[str], c: float = 1.0, seed: int = 0) -> LinearClassifier:
        """Fit on feature dicts; with a single class seen, the model predicts it always."""
        classes = sorted(set(ys))
        if len(classes) < 2:
            return cls({}, classes, np.zeros((0, 0)), np.zeros(0))
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        vec = DictVectorizer(sort=True)
        matrix = vec.fit_transform([_expand(x) for x in xs])
        model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
        model.fit(matrix, list(ys))
        vocab = {name: i for i, name in enumerate(vec.feature_names_)}
        return cls(vocab, [str(k) for k in model.classes_], model.coef_, model.intercept_)

    def _scores(self, xs: Sequence[Features]) -> np.ndarray:
        """x @ coef.T + intercept, one sparse row at a time (no dense n x vocab matrix)."""
        out = np.tile(self.intercept, (len(xs), 1))
        for r, x in enumerate(xs):
            idx, vals = [], []
            for name, value in _expand(x).items():
                j = self.vocab.get(name)
                if j is not None:
                    idx.append(j)
                    vals.append(value)
            if idx:
                out[r] += self.coef[:, idx] @ np.asarray(vals)
        return out

    def predict_proba(self, xs: Sequence[Features]) -> np.ndarray:
        """Class probabilities, columns in `self.classes` order."""
        if len(self.classes) < 2:
            return np.ones((len(xs), max(1, len(self.classes))))
        if not xs:
            return np.zeros((0, len(self.classes)))
        scores = self._scores(xs)
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, xs: Sequence[Features]) -> list[str]:
        if not self.classes:
            return [None] * len(xs)  # type: ignore[list-item]
        proba = self.predict_proba(xs)
        return [self.classes[int(k)] for k in proba.argmax(axis=1)]

    def save(self, directory: str | Path, name: str) -> None:
        d = Path(directory)
        meta = {"classes": self.classes, "features": sorted(self.vocab, key=self.vocab.__getitem__)}
        write_text_atomic(d / f"{name}.json", json.dumps(meta, ensure_ascii=False))
        import io

        buf = io.BytesIO()
        np.savez(buf, coef=self.coef, intercept=self.intercept)
        write_bytes_atomic(d / f"{name}.npz", buf.getvalue())

    @classmethod
    def load(cls, directory: str | Path, name: str) -> LinearClassifier:
        d = Path(directory)
        meta = json.loads((d / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(d / f"{name}.npz", allow_pickle=False) as arrays:
            coef, intercept = arrays["coef"], arrays["intercept"]
        vocab = {f: i for i, f in enumerate(meta["features"])}
        return cls(vocab, list(meta["classes"]), coef, intercept)
