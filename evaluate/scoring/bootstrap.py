"""Document-level resampling statistics over per-document count arrays (sacreBLEU-style).

The document is the unit of resampling. A resample is a vector of document
multiplicities, so the summed counts of 1,000 resamples are one matrix product
(multiplicities x per-document counts); figures are then recomputed from the
sums by the same code as the point estimate. Resample indices come from
`numpy.random.default_rng(seed)`, and `compare` uses the same indices for both
systems (paired), as sacreBLEU does. p-values are (#{stat >= observed} + 1) / (N + 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Layout = dict[str, tuple[slice, tuple[int, ...]]]

#: Resamples per matrix product; bounds memory to CHUNK x documents floats.
CHUNK = 100


def flatten(blocks: dict[str, np.ndarray]) -> tuple[np.ndarray, Layout]:
    """Stack per-document blocks into one [documents, columns] float matrix."""
    cols, layout, pos = [], {}, 0
    n = next(iter(blocks.values())).shape[0]
    for name, arr in blocks.items():
        flat = arr.reshape(n, -1)
        layout[name] = (slice(pos, pos + flat.shape[1]), arr.shape[1:])
        pos += flat.shape[1]
        cols.append(flat)
    return np.concatenate(cols, axis=1).astype(np.float64), layout


def unflatten(sums: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """[batch, columns] sums back to named blocks [batch, *shape]."""
    b = sums.shape[0]
    return {name: sums[:, sl].reshape(b, *shape) for name, (sl, shape) in layout.items()}


def _weights(rng: np.random.Generator, n_docs: int, b: int, dtype: type = np.float64) -> np.ndarray:
    """[b, n_docs] multiplicities of `b` resamples, straight in the dtype they are multiplied in."""
    idx = rng.integers(0, n_docs, size=(b, n_docs))
    idx += (np.arange(b) * n_docs)[:, None]
    return np.bincount(idx.ravel(), minlength=b * n_docs).reshape(b, n_docs).astype(dtype)


def _distinct_columns(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-zero columns of `m` and, per original column, its index there (-1: all zero).

    Columns are grouped by a random projection (one matrix product) and a column joins
    a group only when it is exactly equal to the group's first column; sorting whole
    columns (`np.unique(axis=0)`) was slower.
    """
    nonzero = np.flatnonzero(m.any(axis=0))
    where = np.full(m.shape[1], -1)
    if len(nonzero) == 0:
        return m[:, :0], where
    cols = m[:, nonzero]
    finger = np.random.default_rng(0).random(m.shape[0]) @ cols
    firsts: dict[float, list[int]] = {}
    keep: list[int] = []
    for j, f in enumerate(finger.tolist()):
        for k in firsts.setdefault(f, []):
            if np.array_equal(cols[:, keep[k]], cols[:, j]):
                where[nonzero[j]] = k
                break
        else:
            firsts[f].append(len(keep))
            where[nonzero[j]] = len(keep)
            keep.append(j)
    return np.ascontiguousarray(cols[:, keep]), where


def resampled_sums(matrices: list[np.ndarray], n_boot: int, seed: int) -> list[np.ndarray]:
    """Bootstrap sums [n_boot, columns] of each matrix, all with the same resamples (paired).

    Only distinct non-zero columns are multiplied (many count columns are empty or
    repeat another, e.g. correct on the gold and on the predicted side), in float32
    when every possible sum stays an exact integer there (< 2**24).
    """
    n_docs = matrices[0].shape[0]
    out = [np.zeros((n_boot, m.shape[1])) for m in matrices]
    if n_boot == 0 or n_docs == 0:
        return out
    reduced = [_distinct_columns(m) for m in matrices]
    exact32 = all(float(np.abs(m).max(initial=0)) * n_docs < 2**24 for m in matrices)
    dtype = np.float32 if exact32 else np.float64
    reduced = [(u.astype(dtype), where) for u, where in reduced]
    rng = np.random.default_rng(seed)
    for lo in range(0, n_boot, CHUNK):
        b = min(CHUNK, n_boot - lo)
        w = _weights(rng, n_docs, b, dtype)
        for (u, where), o in zip(reduced, out, strict=True):
            prod = (w @ u).astype(np.float64)
            cols = where >= 0
            o[lo : lo + b, cols] = prod[:, where[cols]]
    return out


def percentile_cis(values: np.ndarray, level: float = 0.95) -> list[tuple[float, float] | None]:
    """Percentile interval of each column of [resamples, statistics], leaving out its undefined (NaN) resamples.

    Equal to `np.percentile(column, ...)` with its default linear interpolation (a test
    checks it), but every column at once, from one sort: a report has hundreds of
    intervals, and `np.percentile` imports `numpy.ma` (25 ms) on its first call.
    """
    v = np.asarray(values, np.float64)
    if v.ndim != 2:
        raise ValueError(f"percentile_cis wants [resamples, statistics], got shape {v.shape}")
    if len(v) == 0:
        return [None] * v.shape[1]
    v = np.sort(v, axis=0)  # NaN sorts last
    n = (~np.isnan(v)).sum(0)
    alpha = (1.0 - level) / 2
    cols = np.arange(v.shape[1])
    bounds = []
    for q in np.array([100 * alpha, 100 * (1 - alpha)]) / 100:
        virtual = (n - 1) * q
        below = np.clip(np.floor(virtual), 0, np.maximum(n - 1, 0)).astype(np.int64)
        above = np.clip(below + 1, 0, np.maximum(n - 1, 0))
        t = virtual - below
        a, b = v[below, cols], v[above, cols]
        diff = b - a
        # numpy's lerp: from the nearer end, so that t = 0 and t = 1 give the end points exactly.
        bounds.append(np.where(t >= 0.5, b - diff * (1 - t), a + diff * t))
    return [(float(lo), float(hi)) if k else None for lo, hi, k in zip(bounds[0].tolist(), bounds[1].tolist(), n.tolist(), strict=True)]


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of a resampled statistic, or None when it is undefined in every resample."""
    return percentile_cis(np.asarray(values, np.float64)[:, None], level)[0]


#: [batch, columns] summed counts -> [batch, k] statistics (k figures computed together).
Stats = Callable[[np.ndarray], np.ndarray]


def paired_bootstrap(da: np.ndarray, db: np.ndarray, stats: Stats, n_boot: int, seed: int) -> list[dict[str, float | list[float] | None]]:
    """Paired bootstrap test of each statistic's stats(A) - stats(B) (sacreBLEU: differences
    centred on their mean under H0). The resamples are drawn once for all the statistics."""
    observed = stats(da.sum(0)[None])[0] - stats(db.sum(0)[None])[0]
    sa, sb = resampled_sums([da, db], n_boot, seed)
    all_diffs = stats(sa) - stats(sb)
    out: list[dict[str, float | list[float] | None]] = []
    for j, obs in enumerate(observed.tolist()):
        diffs = all_diffs[:, j]
        diffs = diffs[~np.isnan(diffs)]
        if np.isnan(obs) or len(diffs) == 0:  # the difference stands without resamples; the test does not
            out.append({"diff": None if np.isnan(obs) else obs, "p": None, "ci": None})
            continue
        null = np.abs(diffs - diffs.mean())
        p = (int(np.sum(null >= abs(obs))) + 1) / (len(diffs) + 1)
        ci = percentile_ci(diffs)
        out.append({"diff": obs, "p": p, "ci": list(ci) if ci else None})
    return out


def approximate_randomization(da: np.ndarray, db: np.ndarray, stats: Stats, n_trials: int, seed: int) -> list[float | None]:
    """Approximate randomization: swap each document's outputs between systems with probability 1/2;
    the same swaps for every statistic."""
    observed = stats(da.sum(0)[None])[0] - stats(db.sum(0)[None])[0]
    k = len(observed)
    if n_trials == 0:
        return [None] * k
    rng = np.random.default_rng(seed)
    n = da.shape[0]
    delta = db - da
    ta, tb = da.sum(0), db.sum(0)
    hits, total = np.zeros(k, np.int64), np.zeros(k, np.int64)
    for lo in range(0, n_trials, CHUNK):
        b = min(CHUNK, n_trials - lo)
        swap = (rng.random((b, n)) < 0.5).astype(np.float64)
        moved = swap @ delta
        diffs = stats(ta + moved) - stats(tb - moved)
        ok = ~np.isnan(diffs)
        with np.errstate(invalid="ignore"):
            hits += (ok & (np.abs(diffs) >= np.abs(observed) - 1e-12)).sum(0)
        total += ok.sum(0)
    return [None if np.isnan(obs) else (int(h) + 1) / (int(t) + 1) for obs, h, t in zip(observed.tolist(), hits, total, strict=True)]
