"""Typed access to validated documents: the one door through which data enters the toolkit."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ittifaq.evaluate.columns import Batch, from_documents
from ittifaq.evaluate.gc_pause import gc_paused
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.fast_read import read_batch
from ittifaq.evaluate.io.jsonl import iter_records, jsonl_files
from ittifaq.evaluate.io.validation import iter_problems
from ittifaq.evaluate.schema import SPLITS, Document

#: Where the bundled corpus lives when running from a clone (the package sits at the repo root).
REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DATA = REPO_ROOT / "corpus" / "data"

MAX_PROBLEMS_SHOWN = 50


def read_documents(paths: Iterable[str | os.PathLike[str]], predictions: bool = False, allow_unknown: bool = False) -> list[Document]:
    """Parse and validate in one pass; bad input raises InputError listing the problems (never a partial list).

    With `allow_unknown`, span labels outside the schema pass through to the scorer.
    """
    paths = list(paths)
    docs: list[Document] = []
    with gc_paused():
        if allow_unknown:
            problems = [p for p in iter_problems(paths, predictions=predictions) if not p.unknown_span_label]
            if not problems:
                docs = [Document.from_dict(ln.record) for ln in iter_records(paths)]
        else:
            problems = list(iter_problems(paths, predictions=predictions, collect=docs))
    if problems:
        shown = "\n".join(str(p) for p in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        tail = f"\n… and {more} more (run `ittifaq validate{' --predictions' if predictions else ''}` for all)" if more > 0 else ""
        kind = "prediction" if predictions else "gold"
        if predictions and any(p.unknown_span_label for p in problems):
            tail += "\n(`ittifaq score --unknown-labels spurious` counts spans with labels outside the schema as spurious)"
        raise InputError(f"{len(problems)} problem(s) in the {kind} input:\n{shown}{tail}")
    return docs


def read_columns(paths: Iterable[str | os.PathLike[str]], predictions: bool = False, allow_unknown: bool = False) -> Batch:
    """Validated input as scorer columns, the fast way into `score`: the fast reader when it
    can vouch for every record, else the full validator (InputError listing the problems)."""
    paths = list(paths)
    batch = read_batch(paths, predictions=predictions, allow_unknown=allow_unknown)
    if batch is not None:
        return batch
    return from_documents(read_documents(paths, predictions, allow_unknown), gold=not predictions)


def corpus_files(split: str | None = None, path: str | os.PathLike[str] | None = None) -> list[Path]:
    """The JSONL files of one split (or all) of the bundled corpus or of `path`."""
    root = Path(path) if path is not None else CORPUS_DATA
    if not root.exists():
        raise InputError(f"{root}: corpus folder not found (run from a clone, or pass path=)")
    if split is None:
        return [root / f"{s}.jsonl" for s in SPLITS if (root / f"{s}.jsonl").exists()]
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    f = root / f"{split}.jsonl"
    if not f.exists():
        raise InputError(f"{f}: no such split file")
    return [f]


def load_corpus(split: str | None = None, path: str | os.PathLike[str] | None = None) -> list[Document]:
    """Typed, validated documents of the corpus (all splits when `split` is None)."""
    files = corpus_files(split, path)
    jsonl_files(files)
    return read_documents(files)
