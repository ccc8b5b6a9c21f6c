"""The matcher: candidate pairs, optimality, order independence, no double counting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ittifaq.evaluate.scoring import matching


def brute_pairs(gs, ge, ps, pe):
    return sorted((i, j) for i in range(len(gs)) for j in range(len(ps)) if max(gs[i], ps[j]) < min(ge[i], pe[j]))


def test_overlap_pairs_equal_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(200):
        ng, npd = rng.integers(0, 12, 2)
        gs = rng.integers(0, 30, ng)
        ge = gs + rng.integers(1, 8, ng)
        ps = rng.integers(0, 30, npd)
        pe = ps + rng.integers(1, 8, npd)
        g, p = matching.overlap_pairs(gs, ge, ps, pe)
        assert sorted(zip(g.tolist(), p.tolist(), strict=True)) == brute_pairs(gs, ge, ps, pe)


def _best(ng, npd, edges, correct):
    """Brute-force lexicographic optimum (correct pairs, then matched pairs)."""
    best = (-1, -1)
    for r in range(len(edges) + 1):
        for sub in itertools.combinations(range(len(edges)), r):
            gs = [edges[k][0] for k in sub]
            ps = [edges[k][1] for k in sub]
            if len(set(gs)) < len(gs) or len(set(ps)) < len(ps):
                continue
            best = max(best, (sum(correct[k] for k in sub), len(sub)))
    return best


@pytest.mark.parametrize("dense_limit", [400, 0])
def test_match_is_optimal_on_random_graphs(dense_limit, monkeypatch):
    monkeypatch.setattr(matching, "DENSE_LIMIT", dense_limit)
    rng = np.random.default_rng(1)
    for _ in range(150):
        ng, npd = rng.integers(1, 5, 2)
        edges = [(i, j) for i in range(ng) for j in range(npd) if rng.random() < 0.5]
        if not edges:
            continue
        g = np.array([e[0] for e in edges])
        p = np.array([e[1] for e in edges])
        correct = rng.random(len(edges)) < 0.4
        chosen = matching.match(ng, npd, g, p, correct, rng.random(len(edges)) * 0.9)
        assert len(set(g[chosen])) == chosen.sum() and len(set(p[chosen])) == chosen.sum()  # one-to-one
        assert (int(correct[chosen].sum()), int(chosen.sum())) == _best(ng, npd, edges, correct)


def test_nervaluate_order_example_gets_the_optimum():
    # true [0,1],[2,5] (inclusive tokens) vs predicted [1,2],[0,1]: nervaluate finds 0 correct.
    for order in ([0, 1], [1, 0]):
        ps, pe = np.array([1, 0])[order], np.array([3, 2])[order]
        gs, ge = np.array([0, 2]), np.array([2, 6])
        g, p = matching.overlap_pairs(gs, ge, ps, pe)
        correct = (gs[g] == ps[p]) & (ge[g] == pe[p])
        chosen = matching.match(2, 2, g, p, correct, np.zeros(len(g)))
        assert correct[chosen].sum() == 1 and chosen.sum() == 2


def test_nested_spans_cannot_double_count():
    # One prediction over a gold span that contains two nested gold spans.
    gs, ge = np.array([0, 0, 5]), np.array([10, 4, 10])
    ps, pe = np.array([0]), np.array([10])
    g, p = matching.overlap_pairs(gs, ge, ps, pe)
    correct = (gs[g] == ps[p]) & (ge[g] == pe[p])
    chosen = matching.match(3, 1, g, p, correct, np.zeros(len(g)))
    assert chosen.sum() == 1 and correct[chosen].all()


def test_large_component_uses_sparse_solver_and_agrees():
    # A long chain: every prediction shifted by one overlaps two gold spans.
    n = 300
    gs = np.arange(n) * 4
    ge = gs + 4
    ps, pe = gs + 1, ge + 1
    g, p = matching.overlap_pairs(gs, ge, ps, pe)
    correct = np.zeros(len(g), bool)
    dense = matching.match(n, n, g, p, correct, np.zeros(len(g)))
    old = matching.DENSE_LIMIT
    try:
        matching.DENSE_LIMIT = 10
        sparse = matching.match(n, n, g, p, correct, np.zeros(len(g)))
    finally:
        matching.DENSE_LIMIT = old
    assert dense.sum() == sparse.sum() == n


def test_components_equal_scipy_connected_components():
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from ittifaq.evaluate.scoring.matching import components

    rng = np.random.default_rng(5)
    for trial in range(200):
        n_g, n_p = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        m = int(rng.integers(0, 60))
        g, p = rng.integers(0, n_g, m), rng.integers(0, n_p, m)
        if trial % 10 == 0:  # long chains: the worst case for label propagation
            k = min(n_g, n_p)
            g = np.concatenate([np.arange(k), np.arange(k - 1)])
            p = np.concatenate([np.arange(k), np.arange(1, k)])
        ours = components(n_g, n_p, g, p)
        if len(g) == 0:
            assert len(ours) == 0
            continue
        n = n_g + n_p
        graph = coo_matrix((np.ones(len(g)), (g, p + n_g)), shape=(n, n))
        _, ref = connected_components(graph, directed=False)
        ref = ref[g]
        # Same partition of the edges: a bijection between component labels.
        pairs = set(zip(ours.tolist(), ref.tolist(), strict=True))
        assert len(pairs) == len(set(ours.tolist())) == len(set(ref.tolist()))
