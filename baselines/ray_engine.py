"""`ittifaq annotate --engine ray`: the same archive run on a Ray cluster (or a local Ray instance) with Ray Data.

The shards are read on the cluster (`map_batches` over the list of shards, with the same screening as the local
engine), annotated by a pool of actors that each load the model once (`map_batches` with a callable class),
and streamed back in input order to the driver, which writes each output shard atomically and lists it in the
manifest, exactly as the local engine does; so both engines write the same files. The cluster's workers must
see the input paths (a shared filesystem) and have ittifaq installed. Ray is imported only here.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ittifaq.baselines.archive_run import (
    BATCH_SIZE,
    Plan,
    RunResult,
    annotate_batch,
    finish_shard,
    progress_bar,
)
from ittifaq.evaluate.archive.shards import MAX_CHARS, InputDoc, Reject, iter_batches
from ittifaq.evaluate.io.errors import InputError


def _read_shards(batch: dict[str, Any], batch_size: int, max_chars: int) -> Iterator[dict[str, list[Any]]]:
    """Ray Data batches of the shards named in `batch`, one per batch of documents (so the annotators start
    on a shard before it is all read): rows of kind `doc` (an InputDoc as JSON) or `reject` (a Reject as JSON)."""
    for index, shard in zip(batch["index"], batch["shard"], strict=True):
        for docs, rejects in iter_batches(str(shard), batch_size, max_chars):
            # rejects before the batch's documents: the rejects file keeps the local engine's order
            payloads = [orjson.dumps(r.to_dict()).decode() for r in rejects]
            payloads += [orjson.dumps({"id": d.id, "text": d.text, "title": d.title, "date": d.date}).decode() for d in docs]
            yield {"index": [int(index)] * len(payloads), "kind": ["reject"] * len(rejects) + ["doc"] * len(docs),
                   "payload": payloads}


class Annotator:
    """A Ray actor's work: the model is loaded once, in the constructor, then every batch is annotated."""

    def __init__(self, model_dir: str) -> None:
        from ittifaq.baselines.interface import load_model

        self.model = load_model(model_dir)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        kinds, payloads = list(batch["kind"]), list(batch["payload"])
        docs = [InputDoc(**orjson.loads(p)) for k, p in zip(kinds, payloads, strict=True) if k == "doc"]
        records = iter(annotate_batch(self.model, docs)) if docs else iter(())
        out = [p if k == "reject" else orjson.dumps(next(records)).decode() for k, p in zip(kinds, payloads, strict=True)]
        return {"index": list(batch["index"]), "kind": kinds, "payload": out}


def _parts(rows: Iterator[dict[str, Any]]) -> Iterator[tuple[list[dict[str, Any]], list[Reject]]]:
    for row in rows:
        body = orjson.loads(row["payload"])
        yield ([], [Reject(**body)]) if row["kind"] == "reject" else ([body], [])


def run_ray(p: Plan, model_dir: str | Path, fmt: str, workers: int = 1, address: str | None = None,
            batch_size: int = BATCH_SIZE, max_chars: int = MAX_CHARS, progress: bool = True,
            num_cpus: int | None = None) -> RunResult:
    """Annotate `p.todo` on Ray with `workers` actors; without `address`, on a local Ray instance of
    `num_cpus` CPUs (default: one per actor plus one to read)."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'ittifaq[ray]'") from None
    t0 = time.perf_counter()
    if not p.todo:
        return RunResult(0, p.skipped, 0, 0, time.perf_counter() - t0)
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus or workers + 1, include_dashboard=False, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True  # rows come back in shard order: the same files as local
    ctx.enable_progress_bars = False
    docs = rejects = 0
    bar = progress_bar(progress, len(p.todo))
    try:
        items = [{"index": i, "shard": str(job.shard)} for i, job in enumerate(p.todo)]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(_read_shards, batch_size=1, fn_kwargs={"batch_size": batch_size, "max_chars": max_chars},
                            num_cpus=0.5)
        ds = ds.map_batches(Annotator, fn_constructor_kwargs={"model_dir": str(Path(model_dir).resolve())},
                            batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
        groups = itertools.groupby(ds.iter_rows(), key=lambda row: int(row["index"]))
        next_job = 0
        for index, rows in groups:
            for job in p.todo[next_job:index]:  # shards without a single record
                finish_shard(job, fmt, iter(()), p.manifest, bar.update)
            d, r = finish_shard(p.todo[index], fmt, _parts(rows), p.manifest, bar.update)
            docs, rejects, next_job = docs + d, rejects + r, index + 1
        for job in p.todo[next_job:]:
            finish_shard(job, fmt, iter(()), p.manifest, bar.update)
    finally:
        bar.close()
        if started:
            ray.shutdown()
    return RunResult(len(p.todo), p.skipped, docs, rejects, time.perf_counter() - t0)
