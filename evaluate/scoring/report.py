"""The report: every figure of the per-document counts, with intervals, as sections of a `ScoreReport`.

Stable JSON keys of `ScoreReport.to_dict()` (documented in the README):

    signature, headline, n_docs, labels, config,
    spans.<scheme>.{micro,macro}.{p,r,f1,ci,counts,flags}      scheme: strict exact partial type clitic
    spans.<scheme>.macro.{labels,labels_excluded}
    spans.<scheme>.per_label.<LABEL>.{p,r,f1,counts,flags}
    spans.<scheme>.per_layer.<layer>.{p,r,f1,ci,counts,flags}
    relations.<mode>.{micro,macro,per_label.<LABEL>}.{p,r,f1,ci,counts,flags}   mode: strict boundaries relaxed entity
    attributes.<name>.{accuracy,correct,total,ci}
    quotes.{content_strict,content_tokens,cue,speaker_strict,speaker_entity}.{p,r,f1,...}
    quotes.analyst.n_gold, quotes.analyst.{content_strict,content_tokens,cue,speaker_entity}.{p,r,f1,...}
    duplicates.{spans,relations}, missing_predictions, ignored_extra, warnings
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ittifaq.evaluate.columns import ATTR_NAMES, UNKNOWN
from ittifaq.evaluate.report_tree import QUOTE_ALIASES, REL_MODES, SCHEMES
from ittifaq.evaluate.schema import LAYERS, RELATION_LABELS, SPAN_LABELS
from ittifaq.evaluate.scoring import bootstrap, metrics
from ittifaq.evaluate.scoring.counts import DocCounts

HEADLINE = {"spans": ("strict", "micro"), "relations": ("strict", "micro")}
UNKNOWN_LABEL = "<unknown>"


def _num(x: Any) -> float | None:
    v = float(x)
    return None if np.isnan(v) else round(v, 6)


@dataclass
class Figure:
    """One reported figure: precision, recall, F1 (None when undefined), CI and counts."""

    p: float | None = None
    r: float | None = None
    f1: float | None = None
    ci: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"p": self.p, "r": self.r, "f1": self.f1}
        if self.ci is not None:
            out["ci"] = self.ci
        out["counts"] = self.counts
        out["flags"] = self.flags
        out.update(self.extra)
        return out


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


@dataclass
class ScoreReport:
    """A full score report; `to_dict()` gives the stable JSON form."""

    signature: str
    headline: dict[str, Any]
    n_docs: int
    labels: dict[str, Any]
    config: dict[str, Any]
    spans: dict[str, dict[str, Any]]
    relations: dict[str, dict[str, Any]]
    attributes: dict[str, Any]
    quotes: dict[str, Any]
    duplicates: dict[str, int]
    missing_predictions: list[str]
    ignored_extra: list[str]
    warnings: list[str]
    errors: list[dict[str, Any]] = field(default_factory=list, repr=False)
    doc_counts: DocCounts | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "headline": self.headline,
            "n_docs": self.n_docs,
            "labels": self.labels,
            "config": self.config,
            "spans": _plain(self.spans),
            "relations": _plain(self.relations),
            "attributes": _plain(self.attributes),
            "quotes": _plain(self.quotes),
            "duplicates": self.duplicates,
            "missing_predictions": self.missing_predictions,
            "ignored_extra": self.ignored_extra,
            "warnings": self.warnings,
        }



def _cis(boot: metrics.Figures, level: float) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every figure's percentile intervals, from one sort of all the resampled statistics."""
    cells = [(key, stat) for key, fig in boot.items() for stat in fig]
    if not cells:
        return {}
    bounds = bootstrap.percentile_cis(np.stack([boot[key][stat] for key, stat in cells], axis=1), level)
    out: dict[tuple[str, ...], dict[str, Any]] = {key: {"level": level} for key in boot}
    for (key, stat), c in zip(cells, bounds, strict=True):
        out[key][stat] = [round(c[0], 6), round(c[1], 6)] if c else None
    return out


def _span_counts(g: np.ndarray, p: np.ndarray) -> dict[str, int]:
    g, p = g.astype(int), p.astype(int)
    return {
        "correct": int(g[0]),
        "incorrect": int(g[1]),
        "partial": int(g[2]),
        "missed": int(g[3]),
        "spurious": int(p[3]),
        "pred_correct": int(p[0]),
        "pred_incorrect": int(p[1]),
        "pred_partial": int(p[2]),
        "possible": int(g.sum()),
        "actual": int(p.sum()),
    }


def _flags(possible: int, actual: int) -> list[str]:
    flags = []
    if possible == 0:
        flags.append("no_gold")
    if actual == 0:
        flags.append("no_pred")
    return flags


def _fig(point: dict[str, np.ndarray], ci: dict[str, Any] | None, counts: dict[str, int], flags: list[str]) -> Figure:
    return Figure(
        p=_num(point["p"][0]) if "p" in point else None,
        r=_num(point["r"][0]) if "r" in point else None,
        f1=_num(point["f1"][0]) if "f1" in point else None,
        ci=ci,
        counts=counts,
        flags=flags,
    )


def build_sections(
    counts: DocCounts, n_boot: int, seed: int, level: float = 0.95
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """spans, relations, attributes, quotes sections with bootstrap CIs."""
    blocks = counts.blocks()
    # Totals straight from the blocks: the [documents, columns] matrix is built only to
    # bootstrap (at 100k documents it is hundreds of MiB).
    total = {name: arr.sum(0).astype(np.float64)[None] for name, arr in blocks.items()}
    macro = metrics.macro_labels(total)
    point = metrics.compute(total, macro)
    cis: dict[tuple[str, ...], dict[str, Any]] | None = None
    if n_boot > 0 and counts.n_docs > 0:
        matrix, layout = bootstrap.flatten(blocks)
        (sums,) = bootstrap.resampled_sums([matrix], n_boot, seed)
        cis = _cis(metrics.compute(bootstrap.unflatten(sums, layout), macro), level)

    def interval(key: tuple[str, ...]) -> dict[str, Any] | None:
        return cis[key] if cis is not None else None

    spans: dict[str, Any] = {}
    for scheme in SCHEMES:
        g, p = total[f"spans.{scheme}.gold"][0], total[f"spans.{scheme}.pred"][0]
        micro_counts = _span_counts(g.sum(0), p.sum(0))
        sec: dict[str, Any] = {"micro": _fig(point[("spans", scheme, "micro")], interval(("spans", scheme, "micro")), micro_counts, _flags(micro_counts["possible"], micro_counts["actual"]))}
        # A macro average has no counts of its own (its labels' are under per_label); it is
        # flagged as its micro figure is, since it averages over the same spans.
        m = _fig(point[("spans", scheme, "macro")], interval(("spans", scheme, "macro")), {}, _flags(micro_counts["possible"], micro_counts["actual"]))
        m.extra = {"labels": macro[f"spans.{scheme}"], "labels_excluded": [x for x in SPAN_LABELS if x not in macro[f"spans.{scheme}"]]}
        if not macro[f"spans.{scheme}"]:
            m.flags.append("no_labels")
        sec["macro"] = m
        per: dict[str, Any] = {}
        for i, lab in enumerate(SPAN_LABELS):
            c = _span_counts(g[i], p[i])
            per[lab] = _fig(point[("spans", scheme, "per_label", lab)], interval(("spans", scheme, "per_label", lab)), c, _flags(c["possible"], c["actual"]))
        if p[UNKNOWN].sum() > 0:
            per[UNKNOWN_LABEL] = Figure(p=0.0, r=None, f1=0.0, counts=_span_counts(g[UNKNOWN], p[UNKNOWN]), flags=["not_in_schema", "no_gold"])
        sec["per_label"] = per
        layers: dict[str, Any] = {}
        for layer, labs in LAYERS.items():
            idx = [SPAN_LABELS.index(x) for x in labs]
            c = _span_counts(g[idx].sum(0), p[idx].sum(0))
            layers[layer] = _fig(point[("spans", scheme, "per_layer", layer)], interval(("spans", scheme, "per_layer", layer)), c, _flags(c["possible"], c["actual"]))
        sec["per_layer"] = layers
        spans[scheme] = sec

    relations: dict[str, Any] = {}
    for mode in REL_MODES:
        c = total[f"relations.{mode}"][0].astype(int)

        def rel_counts(v: np.ndarray) -> dict[str, int]:
            return {"tp": int(v[0]), "fp": int(v[1] - v[0]), "fn": int(v[2] - v[0]), "pred": int(v[1]), "gold": int(v[2])}

        micro_counts = rel_counts(c.sum(0))
        sec = {"micro": _fig(point[("relations", mode, "micro")], interval(("relations", mode, "micro")), micro_counts, _flags(micro_counts["gold"], micro_counts["pred"]))}
        m = _fig(point[("relations", mode, "macro")], interval(("relations", mode, "macro")), {}, _flags(micro_counts["gold"], micro_counts["pred"]))
        m.extra = {"labels": macro[f"relations.{mode}"], "labels_excluded": [x for x in RELATION_LABELS if x not in macro[f"relations.{mode}"]]}
        if not macro[f"relations.{mode}"]:
            m.flags.append("no_labels")  # as for spans
        sec["macro"] = m
        sec["per_label"] = {
            lab: _fig(point[("relations", mode, "per_label", lab)], interval(("relations", mode, "per_label", lab)), rel_counts(c[i]), _flags(int(c[i][2]), int(c[i][1])))
            for i, lab in enumerate(RELATION_LABELS)
        }
        relations[mode] = sec

    attributes: dict[str, Any] = {}
    a = total["attributes"][0].astype(int)
    for j, name in enumerate(ATTR_NAMES):
        ci = interval(("attributes", name))
        attributes[name] = {
            "accuracy": _num(point[("attributes", name)]["accuracy"][0]),
            "correct": int(a[j, 0]),
            "total": int(a[j, 1]),
            **({"ci": ci} if ci is not None else {}),  # absent without resamples, as on every figure
            "flags": [] if a[j, 1] else ["no_matched_spans"],
        }

    t = total["quotes.tokens"][0].astype(int)
    analyst = total["quotes.analyst"][0].astype(int)
    analyst_tokens = total["quotes.analyst_tokens"][0].astype(int)
    analyst_rels = total["quotes.analyst_relations"][0].astype(int)
    def _alias(name: str) -> Figure:
        section, key, level, label = QUOTE_ALIASES[name]
        return {"spans": spans, "relations": relations}[section][key][level][label]

    quotes = {
        "content_strict": _alias("content_strict"),
        "content_tokens": _fig(
            point[("quotes", "content_tokens")], interval(("quotes", "content_tokens")),
            {"overlap_tokens": int(t[0]), "pred_tokens": int(t[1]), "gold_tokens": int(t[2])}, _flags(int(t[2]), int(t[1])),
        ),
        "cue": _alias("cue"),
        "speaker_strict": _alias("speaker_strict"),
        "speaker_entity": _alias("speaker_entity"),
        "analyst": {
            "n_gold": int(analyst[0]),
            "content_strict": _fig(
                point[("quotes", "analyst", "content_strict")], interval(("quotes", "analyst", "content_strict")),
                {"gold": int(analyst[0]), "gold_found": int(analyst[1]), "pred": int(analyst[2]), "pred_correct": int(analyst[3])}, _flags(int(analyst[0]), int(analyst[2])),
            ),
            "content_tokens": _fig(
                point[("quotes", "analyst", "content_tokens")], interval(("quotes", "analyst", "content_tokens")),
                {"pred_tokens_correct": int(analyst_tokens[0]), "pred_tokens": int(analyst_tokens[1]), "gold_tokens_found": int(analyst_tokens[2]), "gold_tokens": int(analyst_tokens[3])},
                _flags(int(analyst_tokens[3]), int(analyst_tokens[1])),
            ),
            **{
                name: _fig(
                    point[("quotes", "analyst", name)], interval(("quotes", "analyst", name)),
                    {"pred_correct": int(analyst_rels[k, 0]), "pred": int(analyst_rels[k, 1]), "gold_found": int(analyst_rels[k, 2]), "gold": int(analyst_rels[k, 3])},
                    _flags(int(analyst_rels[k, 3]), int(analyst_rels[k, 1])),
                )
                for k, name in enumerate(("cue", "speaker_entity"))
            },
        },
    }
    return spans, relations, attributes, quotes, macro
