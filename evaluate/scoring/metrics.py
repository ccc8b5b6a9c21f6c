"""Precision, recall, F1 and accuracies from summed counts, for one sample or a batch.

Every function takes count arrays with any leading batch shape, so the very same
code yields the point estimate (batch of one: the full test set) and the 1,000
bootstrap resamples. Undefined values are NaN here and `None` in reports:

* precision is undefined without predictions, recall without gold;
* F1 is 0 when exactly one of them is undefined (something was predicted but
  nothing was there, or the reverse), and undefined only when both are.
"""

from __future__ import annotations

import numpy as np

from ittifaq.evaluate.columns import ATTR_NAMES, UNKNOWN
from ittifaq.evaluate.report_tree import SCHEMES
from ittifaq.evaluate.schema import LAYERS, RELATION_LABELS, SPAN_LABELS

Figures = dict[tuple[str, ...], dict[str, np.ndarray]]


def prf(credit_p: np.ndarray, actual: np.ndarray, credit_r: np.ndarray, possible: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = credit_p / actual  # NaN (0/0) exactly when nothing was predicted
        r = credit_r / possible
        f1 = 2 * p * r / (p + r)
        f1 = np.where((p == 0) | (r == 0), 0.0, f1)
        f1 = np.where(np.isnan(f1) & (actual + possible > 0), 0.0, f1)
    return {"p": p, "r": r, "f1": f1}


def span_prf(gold: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """gold [..., 4] = correct, incorrect, partial, missed; pred [..., 4] = correct, incorrect, partial, spurious."""
    return prf(pred[..., 0] + 0.5 * pred[..., 2], pred.sum(-1), gold[..., 0] + 0.5 * gold[..., 2], gold.sum(-1))


def rel_prf(c: np.ndarray) -> dict[str, np.ndarray]:
    return prf(c[..., 0], c[..., 1], c[..., 0], c[..., 2])


def _macro(per: list[dict[str, np.ndarray]], batch: tuple[int, ...]) -> dict[str, np.ndarray]:
    if not per:
        nan = np.full(batch, np.nan)
        return {"p": nan, "r": nan, "f1": nan}
    out = {}
    for k in ("p", "r", "f1"):
        stacked = np.stack([x[k] for x in per])
        # A label whose figure is undefined (e.g. P of a label never predicted) counts 0, as in
        # seqeval and scikit-learn; when it is undefined for every label (nothing predicted at
        # all), the average is undefined too, as the micro figure is.
        mean = np.where(np.isnan(stacked), 0.0, stacked).mean(0)
        out[k] = np.where(np.isnan(stacked).all(0), np.nan, mean)
    return out


def _pick(fig: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    return {k: v[..., i] for k, v in fig.items()}


def macro_labels(sums: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """Schema labels with any gold or predicted item, per scheme/mode (the rest are listed as excluded)."""
    out: dict[str, list[str]] = {}
    for scheme in SCHEMES:
        g, p = sums[f"spans.{scheme}.gold"], sums[f"spans.{scheme}.pred"]
        out[f"spans.{scheme}"] = [lab for i, lab in enumerate(SPAN_LABELS) if g[..., i, :].sum() + p[..., i, :].sum() > 0]
    for key in sums:
        if key.startswith("relations."):
            c = sums[key]
            out[key] = [lab for i, lab in enumerate(RELATION_LABELS) if c[..., i, 1:].sum() > 0]
    return out


def compute(sums: dict[str, np.ndarray], macro: dict[str, list[str]]) -> Figures:
    """All figures from count sums (each array: batch shape + the block's own shape)."""
    out: Figures = {}
    for scheme in SCHEMES:
        g, p = sums[f"spans.{scheme}.gold"], sums[f"spans.{scheme}.pred"]
        out[("spans", scheme, "micro")] = span_prf(g.sum(-2), p.sum(-2))
        all_labels = span_prf(g, p)
        per = {}
        for i, lab in enumerate(SPAN_LABELS):
            per[lab] = out[("spans", scheme, "per_label", lab)] = _pick(all_labels, i)
        lg = np.stack([g[..., [SPAN_LABELS.index(x) for x in labels], :].sum(-2) for labels in LAYERS.values()], axis=-2)
        lp = np.stack([p[..., [SPAN_LABELS.index(x) for x in labels], :].sum(-2) for labels in LAYERS.values()], axis=-2)
        layer_figs = span_prf(lg, lp)
        for j, layer in enumerate(LAYERS):
            out[("spans", scheme, "per_layer", layer)] = _pick(layer_figs, j)
        out[("spans", scheme, "macro")] = _macro([per[lab] for lab in macro[f"spans.{scheme}"]], g.shape[:-2])
    for key, c in sums.items():
        if not key.startswith("relations."):
            continue
        mode = key.split(".", 1)[1]
        out[("relations", mode, "micro")] = rel_prf(c.sum(-2))
        all_labels = rel_prf(c)
        per = {}
        for i, lab in enumerate(RELATION_LABELS):
            per[lab] = out[("relations", mode, "per_label", lab)] = _pick(all_labels, i)
        out[("relations", mode, "macro")] = _macro([per[lab] for lab in macro[key]], c.shape[:-2])
    a = sums["attributes"]
    for j, name in enumerate(ATTR_NAMES):
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = np.where(a[..., j, 1] > 0, a[..., j, 0] / np.where(a[..., j, 1] > 0, a[..., j, 1], 1), np.nan)
        out[("attributes", name)] = {"accuracy": acc}
    t = sums["quotes.tokens"]
    out[("quotes", "content_tokens")] = prf(t[..., 0], t[..., 1], t[..., 0], t[..., 2])
    an = sums["quotes.analyst"]
    out[("quotes", "analyst", "content_strict")] = prf(an[..., 3], an[..., 2], an[..., 1], an[..., 0])
    at = sums["quotes.analyst_tokens"]
    out[("quotes", "analyst", "content_tokens")] = prf(at[..., 0], at[..., 1], at[..., 2], at[..., 3])
    ar = sums["quotes.analyst_relations"]
    for k, name in enumerate(("cue", "speaker_entity")):
        out[("quotes", "analyst", name)] = prf(ar[..., k, 0], ar[..., k, 1], ar[..., k, 2], ar[..., k, 3])
    return out


__all__ = ["UNKNOWN", "compute", "macro_labels", "prf", "rel_prf", "span_prf"]
