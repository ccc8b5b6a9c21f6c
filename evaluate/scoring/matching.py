"""Optimal, order-independent one-to-one matching of gold and predicted items.

The rule (documented in the README and tested): within each connected component
of the overlap graph, the matching is the one that

1. maximises the number of *correct* pairs (what counts as correct depends on the
   scheme: same boundaries and label for `strict`, overlap and label for `type` …),
2. then maximises the number of matched pairs (so a boundary or label error is one
   `incorrect`/`partial`, not a missed plus a spurious),
3. then maximises the sum of a tie-break score in [0, 1) per pair (the caller's:
   for spans, same label, then same boundaries, then larger overlap), which decides
   *which* pairs are matched among equally good matchings: it never changes a micro
   count, but it can decide which label a partial or missed count falls under;
4. and any tie left after that is settled by the items' keys (for spans: start, end,
   label), never by their position in the input.

Candidate pairs are found for the whole corpus at once by sort-and-sweep
(`overlap_pairs`): each item is looked up with binary search, so the cost is
O(n log n + pairs) however long a document is. Connected components are found by
vectorized label propagation (`components`). Components with a single edge (the
vast majority) are matched without any solver; the rest go to
`scipy.optimize.linear_sum_assignment` one small component at a time, or, for a
very large component, to the sparse solver `min_weight_full_bipartite_matching`.
SciPy is imported only when such a component exists: importing `scipy.optimize`
alone took longer than scoring 10k documents. Nothing depends on the order in
which spans or documents are given.
"""

from __future__ import annotations

import numpy as np

#: Components with more nodes than this use the sparse solver instead of a dense matrix.
DENSE_LIMIT = 400


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For query i with candidate range [lo[i], hi[i]): (query index, candidate position) pairs."""
    cnt = np.maximum(hi - lo, 0)
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    q = np.repeat(np.arange(len(lo), dtype=np.int64), cnt)
    starts = np.repeat(np.cumsum(cnt) - cnt, cnt)
    pos = np.arange(total, dtype=np.int64) - starts + np.repeat(lo, cnt)
    return q, pos


def overlap_pairs(
    g_start: np.ndarray, g_end: np.ndarray, p_start: np.ndarray, p_end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold, pred) index pair whose half-open intervals share at least one position.

    Coordinates must already be global (document offset added) so that items of
    different documents never overlap. Two intervals overlap iff the prediction
    starts inside the gold item, or the gold item starts strictly inside the
    prediction; the two cases are disjoint, so each pair is produced once.
    """
    g_start = np.asarray(g_start, np.int64)
    g_end = np.asarray(g_end, np.int64)
    p_start = np.asarray(p_start, np.int64)
    p_end = np.asarray(p_end, np.int64)
    p_order = np.argsort(p_start, kind="stable")
    ps_sorted = p_start[p_order]
    lo = np.searchsorted(ps_sorted, g_start, "left")
    hi = np.searchsorted(ps_sorted, g_end, "left")
    ga, pos = _expand(lo, hi)
    pa = p_order[pos]
    g_order = np.argsort(g_start, kind="stable")
    gs_sorted = g_start[g_order]
    lo = np.searchsorted(gs_sorted, p_start, "right")
    hi = np.searchsorted(gs_sorted, p_end, "left")
    pb, pos = _expand(lo, hi)
    gb = g_order[pos]
    g = np.concatenate([ga, gb])
    p = np.concatenate([pa, pb])
    keep = (g_end[g] > g_start[g]) & (p_end[p] > p_start[p])
    return g[keep], p[keep]


def components(n_gold: int, n_pred: int, g: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Component label of each edge of the bipartite candidate graph.

    Hook-and-compress label propagation: every node takes the smallest label across
    its edges, then labels jump to their root; it ends when both ends of every edge
    agree (a few rounds, O(log n) for any shape).
    """
    if len(g) == 0:
        return np.zeros(0, np.int64)
    a = np.asarray(g, np.int64)
    b = np.asarray(p, np.int64) + n_gold
    label = np.arange(n_gold + n_pred, dtype=np.int64)
    while True:
        la, lb = label[a], label[b]
        if (la == lb).all():
            return la
        low = np.minimum(la, lb)
        np.minimum.at(label, np.maximum(la, lb), low)  # hook the larger root under the smaller
        while True:
            nxt = label[label]
            if (nxt == label).all():
                break
            label = nxt


def _canonical(rows: np.ndarray, keys: tuple[np.ndarray, ...] | None) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, index of each row among them), the distinct rows ordered by their keys.

    The solvers settle equal-weight alternatives by matrix position; ordering the nodes by
    what they are (not where they came in the input) keeps the result order-independent.
    """
    u, inv = np.unique(rows, return_inverse=True)
    if keys is None or len(u) < 2:
        return u, inv
    order = np.lexsort([k[u] for k in reversed(keys)])
    position = np.empty(len(u), np.int64)
    position[order] = np.arange(len(u))
    return u[order], position[inv]


def _solve_component(
    gl: np.ndarray, pl: np.ndarray, w: np.ndarray, g_keys: tuple[np.ndarray, ...] | None = None, p_keys: tuple[np.ndarray, ...] | None = None
) -> np.ndarray:
    """Indices (into the component's edges) of a maximum-weight matching."""
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    gu, gi = _canonical(gl, g_keys)
    pu, pi = _canonical(pl, p_keys)
    if len(gu) + len(pu) <= DENSE_LIMIT:
        mat = np.zeros((len(gu), len(pu)))
        edge_at = np.full((len(gu), len(pu)), -1, np.int64)
        mat[gi, pi] = w
        edge_at[gi, pi] = np.arange(len(w))
        rows, cols = linear_sum_assignment(mat, maximize=True)
        chosen = edge_at[rows, cols]
        return chosen[(chosen >= 0)]
    # Sparse: make a full matching always exist by giving every gold node a private
    # dummy prediction and every prediction a private dummy gold node, and joining
    # the dummies along the transposed edges.
    ng, npd = len(gu), len(pu)
    m = len(w)
    rows = np.concatenate([gi, np.arange(ng), ng + np.arange(npd), ng + pi])
    cols = np.concatenate([pi, npd + np.arange(ng), np.arange(npd), npd + gi])
    big = float(w.max()) + 1.0
    # All costs positive: csgraph treats explicit zeros as missing edges. Choosing a
    # real edge replaces two dummy edges (2*big) by (big - w) + big: a saving of w.
    data = np.concatenate([big - w, np.full(ng + npd + m, big)])
    graph = coo_matrix((data, (rows, cols)), shape=(ng + npd, npd + ng)).tocsr()
    r_ind, c_ind = min_weight_full_bipartite_matching(graph)
    real = (r_ind < ng) & (c_ind < npd)
    edge_at = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(gi, pi, strict=False))}
    chosen = [edge_at[(int(a), int(b))] for a, b in zip(r_ind[real], c_ind[real], strict=False)]
    return np.asarray(chosen, np.int64)


def match(
    n_gold: int,
    n_pred: int,
    g: np.ndarray,
    p: np.ndarray,
    correct: np.ndarray,
    tie: np.ndarray,
    comp: np.ndarray | None = None,
    g_keys: tuple[np.ndarray, ...] | None = None,
    p_keys: tuple[np.ndarray, ...] | None = None,
) -> np.ndarray:
    """Boolean mask over candidate edges: the chosen one-to-one matching.

    `correct` marks edges that count as correct under the scheme; `tie` in [0, 1)
    breaks ties between equally good matchings (larger is preferred); `g_keys` /
    `p_keys`, columns that tell the items apart (distinct within a document), settle
    what ties remain, so that the input order of the items never matters.
    """
    m = len(g)
    chosen = np.zeros(m, bool)
    if m == 0:
        return chosen
    if comp is None:
        comp = components(n_gold, n_pred, g, p)
    order = np.argsort(comp, kind="stable")
    cs = comp[order]
    bounds = np.flatnonzero(np.diff(cs)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [m]])
    sizes = ends - starts
    single = sizes == 1
    chosen[order[starts[single]]] = True
    correct = correct.astype(bool)
    tie = np.clip(np.asarray(tie, float), 0.0, 0.999999)
    for s, e in zip(starts[~single], ends[~single], strict=False):
        idx = order[s:e]
        gl, pl = g[idx], p[idx]
        k = min(len(np.unique(gl)), len(np.unique(pl))) + 1.0
        # Lexicographic objective as one weight: correct pairs first, then matched
        # pairs, then the tie-break (sum of at most k-1 ties < k <= one pair's worth).
        w = correct[idx] * (k * k) + k + tie[idx]
        sel = _solve_component(gl, pl, w, g_keys, p_keys)
        chosen[idx[sel]] = True
    return chosen
