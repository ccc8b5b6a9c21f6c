"""The scorer's pipeline: `count` (align, match, count once per document), then `report`; `score` is both.

`count` takes documents as `Document` lists or column batches (`columns.Batch`, what
`io.fast_read` builds from JSONL), aligns predictions with gold (`align`) and keeps
per-document counts (`counts`); `report` sums them, derives every figure (`metrics`),
bootstraps the same figures over documents (`bootstrap`) and signs the result
(`signature`). The per-document counts of disjoint document sets concatenate
(`Counted.concat`), which is how `ittifaq score` splits the work over two processes
(`parallel`); `compare` and `agree` reuse the same counts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ittifaq.evaluate.columns import Batch, from_documents, slice_docs
from ittifaq.evaluate.gc_pause import gc_paused
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.report_tree import REL_MODES, SCHEMES
from ittifaq.evaluate.schema import LAYERS, RELATION_LABELS, SPAN_LABELS, Document
from ittifaq.evaluate.scoring.align import align, snapped
from ittifaq.evaluate.scoring.counts import DocCounts, compute_counts, concat_counts
from ittifaq.evaluate.scoring.report import HEADLINE, UNKNOWN_LABEL, ScoreReport, build_sections
from ittifaq.evaluate.scoring.signature import (
    CONTENT_PREFIX,
    Signature,
    gold_hash_started,
    split_of,
)
from ittifaq.evaluate.scoring.tables import gold_digest

#: About this many spans (gold and predicted) are counted together (see `count`).
BLOCK_SPANS = 50_000


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


def _as_batch(docs: Batch | Iterable[Document], gold: bool, validate: bool, allow_unknown: bool) -> Batch:
    if isinstance(docs, Batch):
        return docs
    if not validate:
        return from_documents(list(docs), gold=gold)
    # Lazy: the full validator (and jsonschema, ~0.1 s) loads only for Documents given in memory.
    from ittifaq.evaluate.io.document_check import checked_columns

    return checked_columns(list(docs), predictions=not gold, allow_unknown=allow_unknown)


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
            gold, aligned = snapped(gold), snapped(aligned)
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
    signature = str(Signature(digest, split_name, SCHEMES, REL_MODES, norm, unknown_labels, n_boot, seed))

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
