"""Archive annotation throughput: documents per second of `ittifaq annotate --in GLOB --out OUTDIR` with 1 and 2
workers, local engine and Ray (a local instance), on a synthetic archive cut from the corpus texts; peak memory
of the parent and of each worker; growth from 2,000 to 20,000 documents; whether every run wrote the same files.

    python benchmarks/bench_annotate.py --model models/crf [--docs 20000] [--small 2000] [--engines local,ray]
    python benchmarks/bench_annotate.py --model models/crf --runs local:1:2000,local:2:20000

Each run is a fresh `ittifaq annotate` process into a new folder (the model is loaded in each worker, and
Ray is started by the run, both inside the time measured). Peak memory is each process's VmHWM, read from
/proc while the run goes on (Linux only). Results are printed as JSON and as a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

import ittifaq

SHARD_DOCS = 1000


def paragraphs() -> list[str]:
    """Paragraph-sized documents: the corpus texts cut at blank lines (whole articles run ~15 docs/s on the CRF)."""
    return [p for d in ittifaq.load() for p in (d.text or "").split("\n\n") if p.strip()]


def write_archive(folder: Path, n_docs: int, texts: list[str]) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    chars = 0
    for s in range(0, n_docs, SHARD_DOCS):
        with open(folder / f"shard-{s // SHARD_DOCS:04d}.jsonl", "wb") as fh:
            for k in range(s, min(s + SHARD_DOCS, n_docs)):
                text = texts[k % len(texts)]
                chars += len(text)
                fh.write(orjson.dumps({"id": f"d{k:08d}", "text": text, "date": "2020-01-01"}) + b"\n")
    return {"documents": n_docs, "mean_chars": round(chars / n_docs, 1), "shards": -(-n_docs // SHARD_DOCS)}


def article_rate(model: str, n: int) -> dict[str, float]:
    """Documents per second of the model in one process on `n` whole corpus articles (for the projection)."""
    from ittifaq.baselines.interface import load_model
    from ittifaq.evaluate.schema import Document

    m = load_model(model)
    docs = [Document(id=d.id, text=d.text) for d in ittifaq.load()[:n]]
    t0 = time.perf_counter()
    m.predict(docs)
    seconds = time.perf_counter() - t0
    return {"articles": n, "mean_chars": round(sum(len(d.text or "") for d in docs) / n, 1),
            "seconds": round(seconds, 1), "docs_per_s": round(n / seconds, 1)}


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _peak(pid: int) -> tuple[str, int] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/status") as fh:
            hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return cmd, hwm


def run(model: str, archive: Path, out: Path, engine: str, workers: int) -> dict[str, object]:
    cmd = [sys.executable, "-m", "ittifaq.evaluate.cli", "annotate", "--model", model, "--in", str(archive),
           "--out", str(out), "--engine", engine, "--workers", str(workers), "--quiet", "--format", "parquet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, tuple[str, int]] = {}
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            if (got := _peak(pid)) is not None:
                peaks[pid] = got
        time.sleep(0.25)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    parent = peaks.get(proc.pid, ("", 0))[1]
    if engine == "ray":
        worker = [kb for cmd_, kb in peaks.values() if "MapWorker" in cmd_ or "Annotator" in cmd_]
    else:
        worker = [kb for pid, (cmd_, kb) in peaks.items() if pid != proc.pid and "multiprocessing" in cmd_]
    if engine == "local" and workers == 1:
        worker = [parent]  # the model runs in the command's own process
    digest = hashlib.sha256()
    for p in sorted(out.rglob("*.parquet")):
        digest.update(p.relative_to(out).as_posix().encode() + p.read_bytes())
    return {"engine": engine, "workers": workers, "seconds": round(seconds, 1), "parent_peak_mb": round(parent / 1024),
            "worker_peak_mb": round(max(worker) / 1024) if worker else None, "worker_processes": len(worker),
            "outputs_sha256": digest.hexdigest()[:16], "summary": err.strip().splitlines()[-1] if err.strip() else ""}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="A trained model folder (the figures in README use the CRF).")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--small", type=int, default=2000, help="The smaller archive, for growth (0: skip).")
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--runs", default=None,
                    help="Exactly these runs, ENGINE:WORKERS:DOCS comma-separated (e.g. local:1:2000,local:2:20000).")
    ap.add_argument("--articles", type=int, default=0, help="Also time N whole corpus articles in one process.")
    ap.add_argument("--json", default=None, help="Also write the results here.")
    args = ap.parse_args()
    texts = paragraphs()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-annotate-") as tmp:
        root = Path(tmp)
        if args.runs:
            plan = [(int(n), e, int(w)) for e, w, n in (r.split(":") for r in args.runs.split(","))]
        else:
            plan = [(n, e, int(w)) for e in args.engines.split(",") for w in args.workers.split(",")
                    for n in (args.small, args.docs) if n and (n == args.docs or e == "local")]
        sizes = {n: write_archive(root / f"in-{n}", n, texts) for n in sorted({n for n, _, _ in plan})}
        for n, engine, workers in plan:
            res = run(args.model, root / f"in-{n}", root / f"out-{n}-{engine}-{workers}", engine, workers)
            res.update(sizes[n])
            res["docs_per_s"] = round(n / res["seconds"], 1)
            rows.append(res)
            print(json.dumps(res), file=sys.stderr, flush=True)
    same = {n: len({r["outputs_sha256"] for r in rows if r["documents"] == n}) == 1 for n in sizes}
    result = {"model": args.model, "cpus": os.cpu_count(), "runs": rows, "identical_outputs": same}
    if args.articles:
        result["whole_articles"] = article_rate(args.model, args.articles)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("\n| documents | engine | workers | seconds | docs/s | parent peak MB | worker peak MB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['documents']:,} | {r['engine']} | {r['workers']} | {r['seconds']} | {r['docs_per_s']} | "
              f"{r['parent_peak_mb']} | {r['worker_peak_mb']} |")


if __name__ == "__main__":
    main()
