"""Strict micro and per-label P/R/F1 equal seqeval (mode="strict", scheme=IOB2) exactly."""

from __future__ import annotations

import pytest
from support import LABELS, corpus, micro_counts

from ittifaq.evaluate.scoring.pipeline import score

seqeval_metrics = pytest.importorskip("seqeval.metrics")
from seqeval.scheme import IOB2  # noqa: E402


def _seqeval(gt, pt):
    return seqeval_metrics.classification_report(gt, pt, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)


def test_corpus_level_equals_seqeval():
    gd, pd, gt, pt, _ = corpus(3000, seed=11)
    ours = score(gd, pd, n_boot=0, validate=False).to_dict()["spans"]["strict"]
    ref = _seqeval(gt, pt)
    assert ours["micro"]["p"] == pytest.approx(ref["micro avg"]["precision"], abs=1e-6)
    assert ours["micro"]["r"] == pytest.approx(ref["micro avg"]["recall"], abs=1e-6)
    assert ours["micro"]["f1"] == pytest.approx(ref["micro avg"]["f1-score"], abs=1e-6)
    for lab in LABELS:
        assert ours["per_label"][lab]["p"] == pytest.approx(ref[lab]["precision"], abs=1e-6)
        assert ours["per_label"][lab]["r"] == pytest.approx(ref[lab]["recall"], abs=1e-6)
        assert ours["per_label"][lab]["f1"] == pytest.approx(ref[lab]["f1-score"], abs=1e-6)
        assert ours["per_label"][lab]["counts"]["possible"] == ref[lab]["support"]


def test_each_case_equals_seqeval():
    gd, pd, gt, pt, _ = corpus(400, seed=12)
    for g, p, a, b in zip(gd, pd, gt, pt, strict=True):
        ref = seqeval_metrics.f1_score([a], [b], mode="strict", scheme=IOB2, zero_division=0)
        c = micro_counts(g, p)["strict"][0]
        n_gold, n_pred = len(g.spans), len(p.spans)
        ours = 2 * c / (n_gold + n_pred) if n_gold + n_pred else 0.0
        assert ours == pytest.approx(ref, abs=1e-9), g.id


def test_documented_difference_macro_label_set():
    # seqeval's macro average counts a label that only appears in predictions; ours states its label set
    # (schema labels with gold or predictions) and reports labels with neither as excluded.
    gd, pd, gt, pt, _ = corpus(50, seed=13)
    rep = score(gd, pd, n_boot=0, validate=False).to_dict()["spans"]["strict"]["macro"]
    assert rep["labels"] == list(LABELS) and "AGREEMENT" in rep["labels_excluded"]
