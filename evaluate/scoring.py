"""The public scorer: `score(gold_docs, pred_docs, ...)` -> ScoreReport.

Flow: `count` converts the documents to columns (columns.py; `ittifaq score` reads
JSONL straight into columns with fast_read.py), aligns predictions with gold by
document id (checking the texts), and matches and counts once per document
(counts.py); `report` sums, derives every figure (figures.py) and bootstraps the
same figures over documents (bootstrap.py). `score` is the two in a row. The
per-document counts of disjoint document sets concatenate (`Counted.concat`), which
is how `ittifaq score` splits the work over two processes (parallel_score.py).
`compare` and `agree` reuse the same per-document counts.

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

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ittifaq.evaluate import arabic_norm, bootstrap, figures
from ittifaq.evaluate.columns import Batch, from_documents, slice_docs, take_docs
from ittifaq.evaluate.counts import (
    ATTR_NAMES,
    N_LABELS,
    REL_MODES,
    SCHEMES,
    UNKNOWN,
    DocCounts,
    compute_counts,
    concat_counts,
    gc_paused,
    gold_digest,
)
from ittifaq.evaluate.reading import InputError
from ittifaq.evaluate.schema import LAYERS, RELATION_LABELS, SPAN_LABELS, Document
from ittifaq.evaluate.signature import CONTENT_PREFIX, gold_hash_started, make_signature, split_of

#: About this many spans (gold and predicted) are counted together (see `count`).
BLOCK_SPANS = 50_000

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


# ---------------------------------------------------------------- alignment


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _snapped(batch: Batch) -> Batch:
    """The batch with its span boundaries snapped past removed characters (`arabic_norm.snap_spans`)."""
    start, end = arabic_norm.snap_spans(batch.texts, batch.s_doc, batch.s_start, batch.s_end)
    return replace(batch, s_start=start, s_end=end)


def _as_batch(docs: Batch | Iterable[Document], gold: bool, validate: bool, allow_unknown: bool) -> Batch:
    if isinstance(docs, Batch):
        return docs
    if not validate:
        return from_documents(list(docs), gold=gold)
    from ittifaq.evaluate.document_check import checked_columns

    return checked_columns(list(docs), predictions=not gold, allow_unknown=allow_unknown)


def align(gold: Batch, pred: Batch, ignore_extra: bool = False, norm: str = "none") -> tuple[Batch, list[str], list[str]]:
    """Predictions in gold order (empty where missing), the missing ids and the ignored extra ids."""
    if norm not in arabic_norm.NORMS:
        raise InputError(f"unknown normalization {norm!r}; choose one of {', '.join(arabic_norm.NORMS)}")
    gold_ids: dict[str, int] = {}
    for i, doc_id in enumerate(gold.ids):
        if gold_ids.setdefault(doc_id, i) != i:
            raise InputError(f"gold: document {doc_id!r} appears twice", {"gold": [doc_id]})
    new_doc = np.full(len(pred), -1, np.int64)
    seen: set[str] = set()
    extra: list[str] = []
    for i, doc_id in enumerate(pred.ids):
        if doc_id in seen:
            raise InputError(f"predictions: document {doc_id!r} appears twice", {"pred": [doc_id]})
        seen.add(doc_id)
        gi = gold_ids.get(doc_id)
        if gi is None:
            extra.append(doc_id)
        else:
            new_doc[i] = gi
    if extra and not ignore_extra:
        shown = ", ".join(extra[:20]) + (f" … and {len(extra) - 20} more" if len(extra) > 20 else "")
        raise InputError(f"predictions for {len(extra)} document(s) not in gold: {shown} (use --ignore-extra to skip them)", {"pred": extra})
    missing = [doc_id for doc_id in gold.ids if doc_id not in seen]
    remaps: dict[int, list[int]] = {}
    for i, gi in enumerate(new_doc.tolist()):
        if gi < 0:
            continue
        gold_text = gold.texts[gi] or ""
        p_text, p_sha = pred.texts[i], pred.text_sha256[i]
        if p_text is not None and p_text != gold_text:
            mapping = arabic_norm.offset_map(p_text, gold_text)  # None: not the same text even after normalization
            if mapping is None or norm != "arabic":
                why = (" (even after Arabic normalization)" if norm == "arabic" else
                       "" if mapping is None else
                       " (if only in spelling: alef and hamza forms, ى/ي, ة/ه, tatweel or diacritics, --normalize arabic accepts it)")
                raise InputError(f"document {gold.ids[gi]!r}: the prediction's text differs from the gold text{why}",
                                 {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
            remaps[gi] = mapping
        elif p_text is None and p_sha is not None and p_sha != _sha(gold_text):
            raise InputError(f"document {gold.ids[gi]!r}: the prediction's text_sha256 differs from the SHA-256 of the gold text",
                             {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
        if p_text is not None and p_sha is not None and p_sha != _sha(p_text):
            raise InputError(f"document {gold.ids[gi]!r}: the prediction's text_sha256 is not the SHA-256 of its own text", {"pred": [gold.ids[gi]]})
    aligned = take_docs(pred, new_doc, len(gold), gold.ids, gold.texts)
    for gi, mapping in remaps.items():
        rows = np.flatnonzero(aligned.s_doc == gi)
        m = np.asarray(mapping, np.int64)
        over = rows[aligned.s_end[rows] >= len(m)]
        if len(over):
            r = int(over[0])
            raise InputError(f"document {gold.ids[gi]!r}: predicted span {aligned.s_ids[r]!r} ends at {int(aligned.s_end[r])}, beyond the prediction's text",
                             {"pred": [gold.ids[gi]]})
        aligned.s_start[rows] = m[aligned.s_start[rows]]
        aligned.s_end[rows] = m[aligned.s_end[rows]]
    if len(aligned.s_doc):
        lengths = np.fromiter((len(t or "") for t in gold.texts), np.int64, len(gold))
        over = np.flatnonzero(aligned.s_end > lengths[aligned.s_doc])
        if len(over):
            r = int(over[0])
            gi = int(aligned.s_doc[r])
            raise InputError(f"document {gold.ids[gi]!r}: predicted span {aligned.s_ids[r]!r} ends at {int(aligned.s_end[r])}, beyond the gold text ({int(lengths[gi])} characters)",
                             {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
    return aligned, missing, extra


# ---------------------------------------------------------------- report assembly


def _cis(boot: figures.Figures, level: float) -> dict[tuple[str, ...], dict[str, Any]]:
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
    macro = figures.macro_labels(total)
    point = figures.compute(total, macro)
    cis: dict[tuple[str, ...], dict[str, Any]] | None = None
    if n_boot > 0 and counts.n_docs > 0:
        matrix, layout = bootstrap.flatten(blocks)
        (sums,) = bootstrap.resampled_sums([matrix], n_boot, seed)
        cis = _cis(figures.compute(bootstrap.unflatten(sums, layout), macro), level)

    def bt(key: tuple[str, ...]) -> dict[str, Any] | None:
        return cis[key] if cis is not None else None

    spans: dict[str, Any] = {}
    for scheme in SCHEMES:
        g, p = total[f"spans.{scheme}.gold"][0], total[f"spans.{scheme}.pred"][0]
        mc = _span_counts(g.sum(0), p.sum(0))
        sec: dict[str, Any] = {"micro": _fig(point[("spans", scheme, "micro")], bt(("spans", scheme, "micro")), mc, _flags(mc["possible"], mc["actual"]))}
        # A macro average has no counts of its own (its labels' are under per_label); it is
        # flagged as its micro figure is, since it averages over the same spans.
        m = _fig(point[("spans", scheme, "macro")], bt(("spans", scheme, "macro")), {}, _flags(mc["possible"], mc["actual"]))
        m.extra = {"labels": macro[f"spans.{scheme}"], "labels_excluded": [x for x in SPAN_LABELS if x not in macro[f"spans.{scheme}"]]}
        if not macro[f"spans.{scheme}"]:
            m.flags.append("no_labels")
        sec["macro"] = m
        per: dict[str, Any] = {}
        for i, lab in enumerate(SPAN_LABELS):
            c = _span_counts(g[i], p[i])
            per[lab] = _fig(point[("spans", scheme, "per_label", lab)], bt(("spans", scheme, "per_label", lab)), c, _flags(c["possible"], c["actual"]))
        if p[UNKNOWN].sum() > 0:
            per[UNKNOWN_LABEL] = Figure(p=0.0, r=None, f1=0.0, counts=_span_counts(g[UNKNOWN], p[UNKNOWN]), flags=["not_in_schema", "no_gold"])
        sec["per_label"] = per
        layers: dict[str, Any] = {}
        for layer, labs in LAYERS.items():
            idx = [SPAN_LABELS.index(x) for x in labs]
            c = _span_counts(g[idx].sum(0), p[idx].sum(0))
            layers[layer] = _fig(point[("spans", scheme, "per_layer", layer)], bt(("spans", scheme, "per_layer", layer)), c, _flags(c["possible"], c["actual"]))
        sec["per_layer"] = layers
        spans[scheme] = sec

    relations: dict[str, Any] = {}
    for mode in REL_MODES:
        c = total[f"relations.{mode}"][0].astype(int)

        def rc(v: np.ndarray) -> dict[str, int]:
            return {"tp": int(v[0]), "fp": int(v[1] - v[0]), "fn": int(v[2] - v[0]), "pred": int(v[1]), "gold": int(v[2])}

        mc = rc(c.sum(0))
        sec = {"micro": _fig(point[("relations", mode, "micro")], bt(("relations", mode, "micro")), mc, _flags(mc["gold"], mc["pred"]))}
        m = _fig(point[("relations", mode, "macro")], bt(("relations", mode, "macro")), {}, _flags(mc["gold"], mc["pred"]))
        m.extra = {"labels": macro[f"relations.{mode}"], "labels_excluded": [x for x in RELATION_LABELS if x not in macro[f"relations.{mode}"]]}
        if not macro[f"relations.{mode}"]:
            m.flags.append("no_labels")  # as for spans
        sec["macro"] = m
        sec["per_label"] = {
            lab: _fig(point[("relations", mode, "per_label", lab)], bt(("relations", mode, "per_label", lab)), rc(c[i]), _flags(int(c[i][2]), int(c[i][1])))
            for i, lab in enumerate(RELATION_LABELS)
        }
        relations[mode] = sec

    attributes: dict[str, Any] = {}
    a = total["attributes"][0].astype(int)
    for j, name in enumerate(ATTR_NAMES):
        ci = bt(("attributes", name))
        attributes[name] = {
            "accuracy": _num(point[("attributes", name)]["accuracy"][0]),
            "correct": int(a[j, 0]),
            "total": int(a[j, 1]),
            **({"ci": ci} if ci is not None else {}),  # absent without resamples, as on every figure
            "flags": [] if a[j, 1] else ["no_matched_spans"],
        }

    t = total["quotes.tokens"][0].astype(int)
    an = total["quotes.analyst"][0].astype(int)
    at = total["quotes.analyst_tokens"][0].astype(int)
    ar = total["quotes.analyst_relations"][0].astype(int)
    quotes = {
        "content_strict": spans["strict"]["per_label"]["QUOTE"],
        "content_tokens": _fig(
            point[("quotes", "content_tokens")], bt(("quotes", "content_tokens")),
            {"overlap_tokens": int(t[0]), "pred_tokens": int(t[1]), "gold_tokens": int(t[2])}, _flags(int(t[2]), int(t[1])),
        ),
        "cue": relations["strict"]["per_label"]["cue"],
        "speaker_strict": relations["strict"]["per_label"]["speaker"],
        "speaker_entity": relations["entity"]["per_label"]["speaker"],
        "analyst": {
            "n_gold": int(an[0]),
            "content_strict": _fig(
                point[("quotes", "analyst", "content_strict")], bt(("quotes", "analyst", "content_strict")),
                {"gold": int(an[0]), "gold_found": int(an[1]), "pred": int(an[2]), "pred_correct": int(an[3])}, _flags(int(an[0]), int(an[2])),
            ),
            "content_tokens": _fig(
                point[("quotes", "analyst", "content_tokens")], bt(("quotes", "analyst", "content_tokens")),
                {"pred_tokens_correct": int(at[0]), "pred_tokens": int(at[1]), "gold_tokens_found": int(at[2]), "gold_tokens": int(at[3])},
                _flags(int(at[3]), int(at[1])),
            ),
            **{
                name: _fig(
                    point[("quotes", "analyst", name)], bt(("quotes", "analyst", name)),
                    {"pred_correct": int(ar[k, 0]), "pred": int(ar[k, 1]), "gold_found": int(ar[k, 2]), "gold": int(ar[k, 3])},
                    _flags(int(ar[k, 3]), int(ar[k, 1])),
                )
                for k, name in enumerate(("cue", "speaker_entity"))
            },
        },
    }
    return spans, relations, attributes, quotes, macro


@dataclass
class Counted:
    """Per-document counts of one scoring run and what the report needs besides them."""

    counts: DocCounts
    splits: list[str | None]
    missing: list[str]
    extra: list[str]
    digest: str | None = None  # of the gold content, when asked for (gold given in memory)

    @staticmethod
    def concat(parts: list[Counted]) -> Counted:
        """Documents of several runs one after the other (a run per worker)."""
        return Counted(
            counts=concat_counts([c.counts for c in parts]),
            splits=[x for c in parts for x in c.splits],
            missing=[x for c in parts for x in c.missing],
            extra=[x for c in parts for x in c.extra],
            digest=None if any(c.digest is None for c in parts) else hashlib.sha256("".join(c.digest or "" for c in parts).encode()).hexdigest(),
        )


def _blocks(gold: Batch, pred: Batch) -> list[int]:
    """Document boundaries of blocks of about BLOCK_SPANS spans (a huge document is one block)."""
    n = len(gold)
    if n == 0:
        return [0]
    per_doc = np.bincount(gold.s_doc, minlength=n) + np.bincount(pred.s_doc, minlength=n)
    cum = np.cumsum(per_doc)
    cuts = np.searchsorted(cum, np.arange(BLOCK_SPANS, int(cum[-1]), BLOCK_SPANS), "left") + 1
    return [0, *sorted({int(c) for c in cuts if 0 < c < n}), n]


def count(
    gold_docs: list[Document] | Batch,
    pred_docs: list[Document] | Batch,
    *,
    ignore_extra: bool = False,
    unknown_labels: str = "error",
    norm: str = "none",
    collect_errors: bool = False,
    digest: bool = True,
    validate: bool = True,
) -> Counted:
    """Align and match once; everything in the report is derived from what this returns.

    `Document` lists are held to the validator's rules (`validate=False` skips that, for
    documents already validated, e.g. by `read_documents`); column batches come validated.
    """
    if unknown_labels not in ("error", "spurious"):
        raise InputError("unknown_labels must be 'error' or 'spurious'")
    allow = unknown_labels == "spurious"
    # Flattening allocates millions of small objects; the cyclic GC would rescan them all
    # repeatedly (nothing here creates cycles), which makes time grow faster than linearly.
    with gc_paused():
        try:
            gold = _as_batch(gold_docs, gold=True, validate=validate, allow_unknown=False)
            pred = _as_batch(pred_docs, gold=False, validate=validate, allow_unknown=allow)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        aligned, missing, extra = align(gold, pred, ignore_extra=ignore_extra, norm=norm)
        if norm == "arabic":
            gold, aligned = _snapped(gold), _snapped(aligned)
        try:
            # Counted in blocks of documents: the arrays of a block stay in the CPU caches,
            # which keeps time linear in the number of documents (and lower).
            bounds = _blocks(gold, aligned)
            parts = [
                compute_counts(slice_docs(gold, lo, hi), slice_docs(aligned, lo, hi), allow_unknown=allow, collect_errors=collect_errors)
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            counts = concat_counts(parts) if parts else compute_counts(gold, aligned, allow_unknown=allow, collect_errors=collect_errors)
        except ValueError as exc:
            raise InputError(str(exc) + ("" if "not in the schema" not in str(exc) else " (use --unknown-labels spurious to count it as spurious)")) from None
    return Counted(counts, list(gold.splits), missing, extra, gold_digest(gold) if digest else None)


def score(
    gold_docs: list[Document] | Batch,
    pred_docs: list[Document] | Batch,
    *,
    gold_path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    split: str | None = None,
    n_boot: int = 1000,
    seed: int = 12345,
    ignore_extra: bool = False,
    unknown_labels: str = "error",
    norm: str = "none",
    level: float = 0.95,
    collect_errors: bool = False,
    validate: bool = True,
) -> ScoreReport:
    """Score predictions against gold; see the module docstring for the report keys.

    Documents may be given as lists of `Document` or as column batches
    (`columns.Batch`, what `fast_read` builds from JSONL without making Documents).
    `unknown_labels`: "error" (default) raises InputError on a predicted label not in
    the schema; "spurious" counts such spans as spurious (shown as `<unknown>`).
    `Document` lists are checked against every rule of `ittifaq validate` first (an
    InputError names each problem); `validate=False` skips that for documents already
    validated. Column batches (`read_columns`) are validated as they are read.
    """
    counted = count(gold_docs, pred_docs, ignore_extra=ignore_extra, unknown_labels=unknown_labels, norm=norm,
                    collect_errors=collect_errors, digest=gold_path is None, validate=validate)
    return report(counted, gold_path=gold_path, split=split, n_boot=n_boot, seed=seed, unknown_labels=unknown_labels, norm=norm, level=level)


def report(
    counted: Counted,
    *,
    gold_path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    split: str | None = None,
    n_boot: int = 1000,
    seed: int = 12345,
    unknown_labels: str = "error",
    norm: str = "none",
    level: float = 0.95,
) -> ScoreReport:
    """Figures, confidence intervals, signature and warnings from the per-document counts."""
    counts, missing, extra = counted.counts, counted.missing, counted.extra
    if gold_path is None:
        paths = None
    elif isinstance(gold_path, str | os.PathLike):
        paths = [gold_path]
    else:
        paths = list(gold_path)
    if not paths and counted.digest is None:
        raise InputError("report: give gold_path, or count(..., digest=True) for gold given in memory")
    digest_of_files = gold_hash_started(paths) if paths else None
    spans, relations, attributes, quotes, _ = build_sections(counts, n_boot, seed, level)
    split_name = split or split_of(counted.splits)
    digest = digest_of_files() if digest_of_files else CONTENT_PREFIX + str(counted.digest)[:12]
    signature = make_signature(digest, split_name, SCHEMES, REL_MODES, norm, n_boot, seed, unknown_labels)

    warnings: list[str] = []
    if missing:
        shown = ", ".join(missing[:20]) + (f" … and {len(missing) - 20} more" if len(missing) > 20 else "")
        warnings.append(f"{len(missing)} gold document(s) have no prediction and are scored as empty: {shown}")
    if extra:
        warnings.append(f"{len(extra)} predicted document(s) not in gold were ignored")
    n_dup_s, n_dup_r = int(counts.span_duplicates.sum()), int(counts.relation_duplicates.sum())
    if n_dup_s or n_dup_r:
        warnings.append(f"duplicates counted once: {n_dup_s} predicted span(s), {n_dup_r} predicted relation(s)")
    n_unknown = int(sum(spans[s]["per_label"][UNKNOWN_LABEL].counts["actual"] for s in ("strict",) if UNKNOWN_LABEL in spans[s]["per_label"]))
    if n_unknown:
        warnings.append(f"{n_unknown} predicted span(s) with labels outside the schema counted as spurious")

    hs, hr = spans[HEADLINE["spans"][0]][HEADLINE["spans"][1]], relations[HEADLINE["relations"][0]][HEADLINE["relations"][1]]
    for what, fig in (("span", hs), ("relation", hr)):
        if "no_gold" in fig.flags:
            warnings.append(f"the gold holds no {what}: every {what} figure's recall is undefined (flag no_gold)")
        if "no_pred" in fig.flags:
            zero = "" if "no_gold" in fig.flags else " and recall 0"
            warnings.append(f"the predictions hold no {what}: every {what} figure's precision is undefined{zero} (flag no_pred)")
    headline = {
        "spans": {"scheme": "strict", "average": "micro", "f1": hs.f1, "ci": (hs.ci or {}).get("f1"), "flags": hs.flags},
        "relations": {"mode": "strict", "average": "micro", "f1": hr.f1, "ci": (hr.ci or {}).get("f1"), "flags": hr.flags},
    }
    return ScoreReport(
        signature=signature,
        headline=headline,
        n_docs=counts.n_docs,
        labels={"spans": list(SPAN_LABELS), "relations": list(RELATION_LABELS), "layers": {k: list(v) for k, v in LAYERS.items()}},
        config={"schemes": list(SCHEMES), "relation_modes": list(REL_MODES), "n_boot": n_boot, "seed": seed, "ci_level": level,
                "norm": norm, "unknown_labels": unknown_labels, "split": split_name},
        spans=spans,
        relations=relations,
        attributes=attributes,
        quotes=quotes,
        duplicates={"spans": n_dup_s, "relations": n_dup_r},
        missing_predictions=missing,
        ignored_extra=extra,
        warnings=warnings,
        errors=counts.errors,
        doc_counts=counts,
    )


# ---------------------------------------------------------------- compare and agree


def _stats(layout: bootstrap.Layout, keys: tuple[tuple[str, ...], ...], macro: dict[str, list[str]]) -> bootstrap.Stats:
    """F1 of each of `keys`, all from one pass of the figure code over the summed counts."""

    def stats(sums: np.ndarray) -> np.ndarray:
        figs = figures.compute(bootstrap.unflatten(sums, layout), macro)
        return np.stack([figs[key]["f1"] for key in keys], axis=-1)

    return stats


#: The figures `compare` tests: every span scheme and relation mode (micro), the strict macro
#: averages, the strict F1 of each span layer, and quote content by token overlap.
COMPARED: tuple[tuple[str, ...], ...] = (
    tuple(("spans", s, "micro") for s in SCHEMES)
    + tuple(("relations", m, "micro") for m in REL_MODES)
    + (("spans", "strict", "macro"), ("relations", "strict", "macro"))
    + tuple(("spans", "strict", "per_layer", layer) for layer in LAYERS)
    + (("quotes", "content_tokens"),)
)


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
) -> dict[str, Any]:
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
    macro = figures.macro_labels(total)
    comparisons = []
    for name in names[1:]:
        rows = []
        stats = _stats(layout, COMPARED, macro)
        pbs = bootstrap.paired_bootstrap(mats[name], mats[base], stats, n_boot, seed)
        ars = bootstrap.approximate_randomization(mats[name], mats[base], stats, n_trials, seed)
        va, vb = stats(mats[name].sum(0)[None])[0], stats(mats[base].sum(0)[None])[0]
        for key, pb, ar, a_, b_ in zip(COMPARED, pbs, ars, va, vb, strict=True):
            rows.append({"figure": ".".join(key) + ".f1", "system": _num(a_), "baseline": _num(b_), "diff": pb["diff"],
                         "diff_ci": pb["ci"], "p_bootstrap": pb["p"], "p_ar": ar})
        comparisons.append({"system": name, "baseline": base, "figures": rows})
    sig = reports[base].signature.replace("|boot:0|", f"|boot:{n_boot}|") + f"|test:paired-bs,ar|trials:{n_trials}"
    return {
        "signature": sig,
        "systems": {name: {"headline": reports[name].headline, "warnings": reports[name].warnings} for name in names},
        "comparisons": comparisons,
    }


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
) -> dict[str, Any]:
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
    return {
        "signature": ab.signature.replace("|gold:", "|ref:"),
        "annotations": [name_a, name_b],
        "n_docs": ab.n_docs,
        "layers": layers,
        "relations": rels,
        "warnings": ab.warnings + [w for w in ba.warnings if w not in ab.warnings],
    }


__all__ = ["Counted", "Figure", "ScoreReport", "agree", "align", "compare", "count", "report", "score", "N_LABELS"]
