"""Memory and speed of `ittifaq validate` on a large file: it must stream.

    python benchmarks/bench_validate.py              # ~1 GB file (written to a temporary folder)
    python benchmarks/bench_validate.py --mb 200     # a smaller file

Writes a JSONL file of copies of the bundled corpus (ids made unique), then runs
`ittifaq validate` on it in a subprocess and prints wall time, throughput and the
child's peak resident memory, next to the file size: a validator that loaded the
file would need memory of the order of the file; a streaming one stays flat.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent


def write_big(path: Path, target_mb: int) -> int:
    """Repeat the bundled corpus until the file reaches `target_mb`; returns documents written."""
    records = [orjson.loads(line) for f in sorted((REPO / "corpus" / "data").glob("*.jsonl")) for line in f.read_bytes().splitlines()]
    n = 0
    size = 0
    with open(path, "wb") as fh:
        while size < target_mb * 1024 * 1024:
            for rec in records:
                rec = dict(rec, id=f"{rec['id']}-{n:07d}", split=None)
                line = orjson.dumps(rec) + b"\n"
                fh.write(line)
                size += len(line)
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024, help="size of the generated file in MiB")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        n = write_big(path, args.mb)
        mb = path.stat().st_size / 2**20
        t = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "ittifaq.evaluate.cli", "validate", str(path)], capture_output=True, text=True)
        wall = time.perf_counter() - t
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"file: {mb:.0f} MiB, {n} documents; exit code {run.returncode}")
        print(f"validate: {wall:.1f} s ({mb / wall:.1f} MiB/s, {n / wall:.0f} documents/s)")
        print(f"peak resident memory of the validator: {peak_mb:.0f} MiB ({peak_mb / mb:.2f}x the file size)")


if __name__ == "__main__":
    main()
