"""Bootstrap CIs, paired bootstrap and approximate randomization."""

from __future__ import annotations

import numpy as np
import pytest
from support import corpus

from ittifaq.evaluate.scoring import bootstrap
from ittifaq.evaluate.scoring.compare import compare
from ittifaq.evaluate.scoring.pipeline import score


@pytest.fixture(scope="module")
def data():
    gd, pd, *_ = corpus(300, seed=5)
    return gd, pd


def test_ci_contains_point_and_is_deterministic(data):
    gd, pd = data
    a = score(gd, pd, n_boot=300, validate=False, seed=1).to_dict()
    b = score(gd, pd, n_boot=300, validate=False, seed=1).to_dict()
    c = score(gd, pd, n_boot=300, validate=False, seed=2).to_dict()
    m = a["spans"]["strict"]["micro"]
    assert m["ci"]["f1"][0] <= m["f1"] <= m["ci"]["f1"][1]
    assert m["ci"]["level"] == 0.95
    assert a["spans"]["strict"]["micro"]["ci"] == b["spans"]["strict"]["micro"]["ci"]
    assert a["spans"]["strict"]["micro"]["ci"] != c["spans"]["strict"]["micro"]["ci"]
    assert "boot:300|seed:1" in a["signature"]


def test_resampled_sums_equal_explicit_resampling():
    rng = np.random.default_rng(0)
    m = rng.integers(0, 5, size=(20, 3)).astype(float)
    (sums,) = bootstrap.resampled_sums([m], 7, seed=3)
    r = np.random.default_rng(3)
    idx = r.integers(0, 20, size=(7, 20))
    assert np.allclose(sums, m[idx].sum(1))


def test_identical_systems_are_not_significant(data):
    gd, pd = data
    rep = compare(gd, {"a": pd, "b": pd}, n_boot=200, validate=False, n_trials=200).to_dict()
    for row in rep["comparisons"][0]["figures"]:
        if row["diff"] is None:
            continue
        assert row["diff"] == 0.0 and row["p_bootstrap"] == 1.0 and row["p_ar"] == 1.0


def test_clearly_better_system_is_significant(data):
    gd, pd = data
    rep = compare(gd, {"weak": pd, "gold": gd}, n_boot=200, validate=False, n_trials=200).to_dict()
    row = next(r for r in rep["comparisons"][0]["figures"] if r["figure"] == "spans.strict.micro.f1")
    assert row["diff"] > 0 and row["p_bootstrap"] < 0.01 and row["p_ar"] < 0.01
    assert row["p_ar"] == pytest.approx(1 / 201, abs=1e-9)


def test_tests_of_many_figures_equal_tests_of_each_alone(data):
    """compare draws its resamples and swaps once for all figures: each figure's p-values and
    interval are those of testing it alone with the same seed (checked against a direct loop)."""
    gd, pd = data
    rep = compare(gd, {"weak": pd, "gold": gd}, n_boot=100, validate=False, n_trials=100, seed=5).to_dict()
    rows = {r["figure"]: r for r in rep["comparisons"][0]["figures"]}
    assert {"spans.strict.per_layer.actors.f1", "quotes.content_tokens.f1"} <= set(rows)
    a, b = score(gd, gd, n_boot=0, validate=False).doc_counts, score(gd, pd, n_boot=0, validate=False).doc_counts
    ma, layout = bootstrap.flatten(a.blocks())
    mb, _ = bootstrap.flatten(b.blocks())
    from ittifaq.evaluate.scoring import metrics

    macro = metrics.macro_labels(bootstrap.unflatten(ma.sum(0)[None] + mb.sum(0)[None], layout))
    for key in (("spans", "strict", "micro"), ("spans", "strict", "per_layer", "cues")):
        def one(sums, key=key):
            return metrics.compute(bootstrap.unflatten(sums, layout), macro)[key]["f1"][:, None]

        (pb,) = bootstrap.paired_bootstrap(ma, mb, one, 100, 5)
        (ar,) = bootstrap.approximate_randomization(ma, mb, one, 100, 5)
        row = rows[".".join(key) + ".f1"]
        assert (row["diff"], row["diff_ci"], row["p_bootstrap"], row["p_ar"]) == (pb["diff"], pb["ci"], pb["p"], ar)


def test_percentile_cis_equal_numpy_percentile_column_by_column():
    """One sort for every interval gives exactly np.percentile's linear interpolation, NaNs left out."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n, f = int(rng.integers(0, 50)), int(rng.integers(1, 5))
        m = rng.random((n, f)) if rng.random() < 0.5 else rng.integers(0, 4, (n, f)) / 3
        m[rng.random((n, f)) < rng.random() * 0.6] = np.nan
        level = float(rng.choice([0.5, 0.8, 0.9, 0.95, 0.99]))
        alpha = (1 - level) / 2
        for j, got in enumerate(bootstrap.percentile_cis(m, level)):
            v = m[:, j][~np.isnan(m[:, j])]
            want = tuple(float(x) for x in np.percentile(v, [100 * alpha, 100 * (1 - alpha)])) if len(v) else None
            assert got == want
    assert bootstrap.percentile_ci(np.array([np.nan, np.nan])) is None
