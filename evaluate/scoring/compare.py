"""Systems against a baseline (paired bootstrap, approximate randomization) and annotators against each other."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ittifaq.evaluate.columns import Batch
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.report_tree import REL_MODES, SCHEMES, quote_figure, relation_figure, span_figure
from ittifaq.evaluate.schema import LAYERS, Document
from ittifaq.evaluate.scoring import bootstrap, metrics
from ittifaq.evaluate.scoring.pipeline import score
from ittifaq.evaluate.scoring.report import _num
from ittifaq.evaluate.scoring.signature import Signature


def _stats(layout: bootstrap.Layout, keys: tuple[tuple[str, ...], ...], macro: dict[str, list[str]]) -> bootstrap.Stats:
    """F1 of each of `keys`, all from one pass of the figure code over the summed counts."""

    def stats(sums: np.ndarray) -> np.ndarray:
        figs = metrics.compute(bootstrap.unflatten(sums, layout), macro)
        return np.stack([figs[key]["f1"] for key in keys], axis=-1)

    return stats


#: The figures `compare` tests: every span scheme and relation mode (micro), the strict macro
#: averages, the strict F1 of each span layer, and quote content by token overlap.
COMPARED: tuple[tuple[str, ...], ...] = (
    *(span_figure(s, "micro") for s in SCHEMES),
    *(relation_figure(m, "micro") for m in REL_MODES),
    span_figure("strict", "macro"),
    relation_figure("strict", "macro"),
    *(span_figure("strict", "per_layer", layer) for layer in LAYERS),
    quote_figure("content_tokens"),
)


@dataclass(frozen=True)
class FigureTest:
    """One figure of a system against the baseline: both F1s, the difference and its two tests."""

    figure: str
    system: float | None
    baseline: float | None
    diff: float | None
    diff_ci: list[float] | None
    p_bootstrap: float | None
    p_ar: float | None


@dataclass(frozen=True)
class Comparison:
    system: str
    baseline: str
    figures: list[FigureTest]


@dataclass(frozen=True)
class CompareReport:
    """`compare`'s result; `to_dict()` gives the stable JSON form (`ittifaq compare --format json`)."""

    signature: str
    #: system -> its headline figures and the warnings of its scoring
    systems: dict[str, dict[str, Any]]
    comparisons: list[Comparison]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AgreeReport:
    """`agree`'s result: per layer and scheme, and per relation mode, each direction's figure (plain dicts)."""

    signature: str
    annotations: list[str]
    n_docs: int
    #: layer -> scheme -> "A->B" -> figure
    layers: dict[str, dict[str, dict[str, Any]]]
    #: mode -> "A->B" -> figure
    relations: dict[str, dict[str, Any]]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    gold_docs: list[Document],
    systems: dict[str, list[Document]],
    *,
    gold_path: Any = None,
    n_boot: int = 1000,
    n_trials: int = 1000,
    seed: int = 12345,
    ignore_extra: bool = False,
    norm: str = "none",
    validate: bool = True,
) -> CompareReport:
    """Each system against the first (the baseline): F1 differences with paired-bootstrap and AR p-values."""
    if len(systems) < 2:
        raise InputError("compare needs at least two prediction sets")
    reports = {}
    for name, preds in systems.items():
        try:
            reports[name] = score(gold_docs, preds, gold_path=gold_path, n_boot=0, seed=seed, ignore_extra=ignore_extra, norm=norm,
                                  validate=validate)
        except InputError as exc:  # say which system's predictions are at fault
            raise InputError(f"{name}: {exc}", {f"pred:{name}" if k == "pred" else k: v for k, v in exc.documents.items()}) from None
    names = list(systems)
    mats = {}
    layout: bootstrap.Layout = {}
    for name in names:
        mats[name], layout = bootstrap.flatten(reports[name].doc_counts.blocks())  # type: ignore[union-attr]
    base = names[0]
    # Macro averages over the union of the systems' label sets, fixed for both.
    total = bootstrap.unflatten(sum(m.sum(0)[None] for m in mats.values()), layout)
    macro = metrics.macro_labels(total)
    comparisons = []
    for name in names[1:]:
        rows = []
        stats = _stats(layout, COMPARED, macro)
        pbs = bootstrap.paired_bootstrap(mats[name], mats[base], stats, n_boot, seed)
        ars = bootstrap.approximate_randomization(mats[name], mats[base], stats, n_trials, seed)
        va, vb = stats(mats[name].sum(0)[None])[0], stats(mats[base].sum(0)[None])[0]
        for key, pb, ar, a_, b_ in zip(COMPARED, pbs, ars, va, vb, strict=True):
            rows.append(FigureTest(".".join(key) + ".f1", _num(a_), _num(b_), pb["diff"], pb["ci"], pb["p"], ar))
        comparisons.append(Comparison(name, base, rows))
    sig = str(replace(Signature.parse(reports[base].signature), boot=n_boot, tests=("paired-bs", "ar"), trials=n_trials))
    systems_seen = {name: {"headline": reports[name].headline, "warnings": reports[name].warnings} for name in names}
    return CompareReport(sig, systems_seen, comparisons)


def _ids(docs: list[Document] | Batch) -> list[str]:
    return list(docs.ids) if isinstance(docs, Batch) else [d.id for d in docs]


def agree(
    docs_a: list[Document],
    docs_b: list[Document],
    *,
    name_a: str = "A",
    name_b: str = "B",
    n_boot: int = 0,
    seed: int = 12345,
    path_a: str | os.PathLike[str] | None = None,
    validate: bool = True,
) -> AgreeReport:
    """Pairwise agreement: F1 per layer, scheme and relation mode, with each annotation taken as reference in turn.

    Micro F1 is the same both ways (P and R swap; not the entity mode, whose clusters
    are the reference's), but both directions are kept: which annotator marks more is
    worth seeing. `path_a`, the file of the first annotation,
    names it in the signature (`ref:`) by its bytes' hash, as `score` names gold.
    """
    ids_a, ids_b = _ids(docs_a), _ids(docs_b)
    set_a, set_b = set(ids_a), set(ids_b)
    only = {name_a: [i for i in ids_a if i not in set_b], name_b: [i for i in ids_b if i not in set_a]}
    if any(only.values()):
        said = "; ".join(f"only in {name}: " + ", ".join(ids[:20]) + (f" … and {len(ids) - 20} more" if len(ids) > 20 else "")
                         for name, ids in only.items() if ids)
        raise InputError(f"agreement needs the same documents in both annotations ({said})", {k: v for k, v in only.items() if v})
    ab = score(docs_a, docs_b, gold_path=path_a, n_boot=n_boot, seed=seed, validate=validate)
    ba = score(docs_b, docs_a, n_boot=n_boot, seed=seed, validate=validate)
    layers: dict[str, Any] = {}
    for layer in LAYERS:
        layers[layer] = {
            scheme: {
                f"{name_a}->{name_b}": ab.spans[scheme]["per_layer"][layer].to_dict(),
                f"{name_b}->{name_a}": ba.spans[scheme]["per_layer"][layer].to_dict(),
            }
            for scheme in SCHEMES
        }
    rels = {
        mode: {f"{name_a}->{name_b}": ab.relations[mode]["micro"].to_dict(), f"{name_b}->{name_a}": ba.relations[mode]["micro"].to_dict()}
        for mode in REL_MODES
    }
    return AgreeReport(
        signature=str(replace(Signature.parse(ab.signature), reference="ref")),
        annotations=[name_a, name_b],
        n_docs=ab.n_docs,
        layers=layers,
        relations=rels,
        warnings=ab.warnings + [w for w in ba.warnings if w not in ab.warnings],
    )
