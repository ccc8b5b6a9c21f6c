"""`ittifaq annotate --in GLOB --out OUTDIR`: a whole archive, shard by shard, on this machine.

The parent process reads each shard a batch at a time, hands the batches to N worker processes (each loads
the model once) and writes the results back in input order, so the output does not depend on N. Finished
shards are listed in the manifest (`evaluate.archive.manifest`), and a rerun skips them.
"""

from __future__ import annotations

import glob
import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ittifaq.baselines.interface import Baseline, load_model, prediction_record
from ittifaq.evaluate.archive.manifest import Manifest, model_fingerprint, rejects_path
from ittifaq.evaluate.archive.shards import MAX_CHARS, InputDoc, Reject, expand_inputs, iter_batches
from ittifaq.evaluate.archive.sink import OUTPUT_KEYS, ShardWriter, common_root, output_name
from ittifaq.evaluate.io.atomic import write_jsonl_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import Document

BATCH_SIZE = 32
ENGINES: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True)
class Job:
    """One input shard and where its output and rejects go."""

    shard: Path
    name: str
    out: Path
    rejects: Path


@dataclass
class Plan:
    manifest: Manifest
    todo: list[Job]
    skipped: int


@dataclass
class RunResult:
    shards: int
    skipped: int
    documents: int
    rejects: int
    seconds: float


def _static_prefix(pattern: str) -> Path:
    """The folder a pattern searches: a folder as given, else the part of a glob before its first wildcard."""
    parts = Path(pattern).parts
    cut = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    folder = Path(*parts[:cut]) if cut else Path(".")
    return (folder if cut < len(parts) or folder.is_dir() else folder.parent).resolve()


def plan(patterns: Iterable[str], outdir: str | Path, model_dir: str | Path, fmt: str,
         max_chars: int = MAX_CHARS) -> Plan:
    """The shards still to annotate; those the manifest lists as finished (same input, same settings) are not."""
    patterns = list(patterns)
    shards = expand_inputs(patterns)
    out = Path(outdir)
    here = out.resolve()
    for folder in map(_static_prefix, patterns):
        if here == folder or folder in here.parents or any(here in s.parents for s in shards):
            raise InputError(f"{out}: is inside the inputs ({folder}), so a later run would read its outputs "
                             f"as input; give an output folder outside the inputs")
    root = common_root(shards)
    names: dict[str, Path] = {}
    for s in shards:
        name = output_name(s, root, fmt)
        if name in names:
            raise InputError(f"{s} and {names[name]} would both be written to {out / name}; rename one")
        names[name] = s
    settings = {"model": model_fingerprint(model_dir), "format": fmt, "max_chars": max_chars}
    manifest = Manifest.open(out, settings)
    todo = [Job(s, n, out / n, rejects_path(out, n)) for n, s in names.items() if not manifest.done(n, s)]
    return Plan(manifest, todo, len(names) - len(todo))


def annotate_batch(model: Baseline, docs: list[InputDoc]) -> list[dict[str, Any]]:
    """Output records for a batch: the prediction record, with the input's title and date."""
    preds = model.predict([Document(id=d.id, text=d.text) for d in docs])
    records = []
    for d, p in zip(docs, preds, strict=True):
        rec = prediction_record(p)
        rec["title"], rec["date"] = d.title, d.date
        records.append({k: rec[k] for k in OUTPUT_KEYS})
    return records


def finish_shard(job: Job, fmt: str, parts: Iterable[tuple[list[dict[str, Any]], list[Reject]]],
                 manifest: Manifest, tick: Callable[[int], None]) -> tuple[int, int]:
    """Write one shard's records and rejects, then list it in the manifest (in that order: kill-safe)."""
    rejects: list[dict[str, Any]] = []
    with ShardWriter(job.out, fmt) as writer:
        for records, rej in parts:
            for rec in records:
                writer.write(rec)
            rejects += [r.to_dict() for r in rej]
            tick(len(records) + len(rej))
    if rejects:
        write_jsonl_atomic(job.rejects, rejects)
    elif job.rejects.exists():
        job.rejects.unlink()
    manifest.record(job.name, job.shard, writer.count, len(rejects))
    return writer.count, len(rejects)


_MODEL: Baseline | None = None


def _init_worker(model_dir: str) -> None:
    global _MODEL
    _MODEL = load_model(model_dir)


def _work(docs: list[InputDoc]) -> list[dict[str, Any]]:
    assert _MODEL is not None
    return annotate_batch(_MODEL, docs)


def _in_order(submit: Callable[[list[InputDoc]], Future], batches: Iterator[tuple[list[InputDoc], list[Reject]]],
              depth: int) -> Iterator[tuple[list[dict[str, Any]], list[Reject]]]:
    """Results in input order, with at most `depth` batches in flight (bounded memory)."""
    pending: deque[tuple[Future, list[Reject]]] = deque()
    for docs, rej in batches:
        pending.append((submit(docs), rej))
        while len(pending) >= depth:
            fut, r = pending.popleft()
            yield fut.result(), r
    while pending:
        fut, r = pending.popleft()
        yield fut.result(), r


def progress_bar(enabled: bool, shards: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=None, unit="doc", desc=f"annotate ({shards} shard(s))", disable=not enabled,
                file=sys.stderr, smoothing=0.1, mininterval=0.5)


def run_local(p: Plan, model_dir: str | Path, fmt: str, workers: int = 1, batch_size: int = BATCH_SIZE,
              max_chars: int = MAX_CHARS, progress: bool = True) -> RunResult:
    """Annotate `p.todo` with `workers` processes; the output is the same for any `workers`."""
    t0 = time.perf_counter()
    docs = rejects = 0
    pool: ProcessPoolExecutor | None = None
    if workers > 1:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(str(model_dir),))
        submit: Callable[[list[InputDoc]], Future] = lambda batch: pool.submit(_work, batch)  # noqa: E731
    elif p.todo:
        model = load_model(model_dir)

        def submit(batch: list[InputDoc]) -> Future:
            fut: Future = Future()
            fut.set_result(annotate_batch(model, batch))
            return fut
    bar = progress_bar(progress, len(p.todo))
    try:
        for job in p.todo:
            batches = iter_batches(job.shard, batch_size, max_chars)
            d, r = finish_shard(job, fmt, _in_order(submit, batches, 2 * workers), p.manifest, bar.update)
            docs, rejects = docs + d, rejects + r
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return RunResult(len(p.todo), p.skipped, docs, rejects, time.perf_counter() - t0)
