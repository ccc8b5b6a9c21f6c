"""Scoring JSONL files: the library, not the command line, chooses how they are read.

Two processes over halves of the files when that is possible and worth it
(`parallel.count_files`); otherwise one process reading columns with the fast reader, and
the full validator for whatever the fast reader cannot vouch for (it names every problem).
Every route gives the same report; `ittifaq score` is this function plus printing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import jsonl_files, with_locations
from ittifaq.evaluate.scoring.parallel import count_files
from ittifaq.evaluate.scoring.pipeline import count, report
from ittifaq.evaluate.scoring.report import ScoreReport


def score_files(
    gold: Iterable[str | os.PathLike[str]],
    pred: Iterable[str | os.PathLike[str]],
    *,
    split: str | None = None,
    n_boot: int = 1000,
    seed: int = 12345,
    ignore_extra: bool = False,
    unknown_labels: str = "error",
    norm: str = "none",
    collect_errors: bool = False,
) -> ScoreReport:
    """Score the prediction files (or folders) `pred` against the gold files `gold`.

    The signature names the gold files by their bytes' hash; `split` names the split when
    the files do not say it (see `score` for the other options). An InputError names the
    file and line of each document at fault.
    """
    # Lazy: the full validator (and jsonschema) loads only when the fast reader declines.
    from ittifaq.evaluate.io.documents import read_columns

    gold_paths, pred_paths = [str(p) for p in gold], [str(p) for p in pred]
    try:
        counted = count_files(gold_paths, pred_paths, unknown_labels=unknown_labels, norm=norm, collect_errors=collect_errors)
        if counted is None:
            gold_docs = read_columns(gold_paths, predictions=False)
            pred_docs = read_columns(pred_paths, predictions=True, allow_unknown=unknown_labels == "spurious")
            counted = count(gold_docs, pred_docs, ignore_extra=ignore_extra, unknown_labels=unknown_labels, norm=norm,
                            collect_errors=collect_errors, digest=False)
    except InputError as exc:
        raise with_locations(exc, {"gold": gold_paths, "pred": pred_paths}) from None
    return report(counted, gold_path=[str(p) for p in jsonl_files(gold_paths)], split=split, n_boot=n_boot, seed=seed,
                  unknown_labels=unknown_labels, norm=norm)
