"""Score and stats plots: written, tolerant of missing keys, Arabic shaped."""

from __future__ import annotations

import copy
import struct
import warnings
from pathlib import Path

import pytest
from support import FIXTURES

from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.render.plots import _ci_bounds, plot_score, plot_stats, shape

FIXTURE = FIXTURES / "formats_docs.jsonl"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def _no_glyph_warnings(record) -> None:
    missing = [str(w.message) for w in record if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert missing == []


def test_shape_leaves_arabic_to_a_libraqm_matplotlib(monkeypatch):
    from ittifaq.evaluate.render import plots

    monkeypatch.setattr(plots, "_native_complex_text", lambda: True)
    assert shape("اتفاق") == "اتفاق", "matplotlib 3.11+ joins and orders Arabic itself; pre-shaping would reverse it twice"


def test_shape_joins_and_orders_arabic_for_older_matplotlib(monkeypatch):
    from ittifaq.evaluate.render import plots

    monkeypatch.setattr(plots, "_native_complex_text", lambda: False)
    out = shape("اتفاق")
    assert all(0xFE70 <= ord(c) <= 0xFEFF for c in out), "presentation (joined) forms"
    assert len(out) == 5
    assert out[-1] == "\ufe8d", "the first letter (alef, isolated form) is drawn rightmost"
    assert shape("PER strict") == "PER strict"


def _report() -> dict:
    def fig(f1, lo, hi):
        return {"p": f1, "r": f1, "f1": f1, "ci": {"level": 0.95, "f1": [lo, hi]}, "counts": {}, "flags": []}

    per = {"PER": fig(0.8, 0.7, 0.9), "ORG": fig(0.5, 0.3, 0.6), "GPE": fig(0.9, 0.85, 0.95),
           "AGREEMENT": fig(None, None, None), "QUOTE": {"f1": 0.4}, "CUE": fig(1.0, 1.0, 1.0)}
    return {
        "config": {"ci_level": 0.95},
        "spans": {s: {"micro": fig(0.7, 0.6, 0.8), "per_label": copy.deepcopy(per)} for s in ("strict", "partial", "type")},
        "relations": {"strict": {"per_label": {"speaker": fig(0.5, 0.2, 0.7), "party": fig(0.3, 0.1, 0.5)}}},
    }


def test_plot_score_writes_png(tmp_path):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        plot_score(_report(), tmp_path / "score.png")
    _no_glyph_warnings(rec)
    w, h = _png_size(tmp_path / "score.png")
    assert w > 800 and h > 600, "two panels: spans and relations"


@pytest.mark.parametrize("report", [{}, {"spans": {}}, {"spans": {"strict": {"micro": {"f1": 0.5}}}}])
def test_plot_score_tolerates_missing_sections(tmp_path, report):
    plot_score(report, tmp_path / "s.png")
    assert _png_size(tmp_path / "s.png")[0] > 0


def test_ci_bounds_forms():
    assert _ci_bounds({"ci": {"f1": [0.1, 0.2]}}) == (0.1, 0.2)
    assert _ci_bounds({"ci": [0.1, 0.2]}) == (0.1, 0.2)
    assert _ci_bounds({"ci": {"f1": None}}) is None
    assert _ci_bounds({}) is None


def test_plot_score_on_a_real_report(tmp_path):
    from ittifaq.evaluate.scoring.pipeline import score

    gold = read_documents([FIXTURE])
    pred = copy.deepcopy(gold)
    pred[1].spans = pred[1].spans[:4]
    pred[1].relations = [r for r in pred[1].relations if r.head in {s.id for s in pred[1].spans}
                         and r.tail in {s.id for s in pred[1].spans}]
    report = score(gold, pred, n_boot=50)
    data = report.to_dict() if hasattr(report, "to_dict") else report
    plot_score(data, tmp_path / "real.svg")
    svg = (tmp_path / "real.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_plot_stats(tmp_path):
    from ittifaq.evaluate.authoring.stats import corpus_stats

    stats = corpus_stats(read_documents([FIXTURE]))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        plot_stats(stats, tmp_path / "stats.png")
    _no_glyph_warnings(rec)
    w, h = _png_size(tmp_path / "stats.png")
    assert w > 1000 and h > 900, "three rows of panels"


@pytest.mark.parametrize("stats", [{}, {"documents": 3}, {"spans": {"PER": 2}, "quotes": {"kind": {}}, "genres": None}])
def test_plot_stats_tolerates_missing_keys(tmp_path, stats):
    plot_stats(stats, tmp_path / "s.png")
    assert _png_size(tmp_path / "s.png")[0] > 0
