"""CPU work of the whole `ittifaq score` process against parse-only, counted by cachegrind.

    python benchmarks/bench_cpu_work.py             # 10k documents (several minutes under valgrind)
    python benchmarks/bench_cpu_work.py --docs 1000

Wall-clock ratios on a shared virtual machine move by tens of percent from one
minute to the next (see benchmarks/README.md). This script counts work instead:
it runs, under valgrind's cachegrind, (a) `python -c "import msgspec"`, (b) the same
plus parsing both JSONL files with msgspec, line by line, as `bench_scorer.py`'s
parse-only does, and (c) the whole `ittifaq score` process in one process
(`ITTIFAQ_WORKERS=1`, `--n-boot 0` and `1000`). Parse-only work is (b) - (a): the
interpreter's own start-up is not charged to it, as in-process timing does not.

Printed per run: instructions executed, and estimated cycles = instructions + 10 x
first-level cache misses + 100 x last-level misses (a 1 MiB last-level cache is
simulated, about one core's share of a shared cache). The counts are the same from
run to run up to ~2 % (hash randomization, address layout), so a change in the
ratio of a few percent is real. It measures CPU work, not wall time: the second
process of `ittifaq score` and waiting are not in it. Needs `valgrind` on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_scorer import make, write

_SUMMARY = re.compile(r"==\d+== (I +refs|I1 +misses|LLi +misses|D1 +misses|LLd +misses):\s+([\d,]+)")


def work(cmd: list[str], env: dict[str, str]) -> tuple[int, int]:
    """(instructions, estimated cycles) of one run of `cmd` under cachegrind."""
    vg = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--LL=1048576,16,64", "--cachegrind-out-file=/dev/null"]
    res = subprocess.run(vg + cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    found = {" ".join(k.split()): int(v.replace(",", "")) for k, v in _SUMMARY.findall(res.stderr)}
    ir = found["I refs"]
    return ir, ir + 10 * (found["I1 misses"] + found["D1 misses"]) + 100 * (found["LLi misses"] + found["LLd misses"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on PATH")
    # As an installed package runs: bytecode cached (written by one run outside valgrind).
    # One BLAS thread: valgrind runs threads one at a time, and OpenBLAS's idle threads spin,
    # which counted ~35 G instructions of waiting against the bootstrap's small matrix products.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "ITTIFAQ_WORKERS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    gd, pd, _, _ = make(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        gpath, ppath = Path(tmp) / "test.jsonl", Path(tmp) / "pred.jsonl"
        write(gpath, gd, True)
        write(ppath, pd, False)
        del gd, pd
        size = (gpath.stat().st_size + ppath.stat().st_size) / 2**20
        py = sys.executable
        parse = ("import msgspec\ndecode = msgspec.json.Decoder().decode\n"
                 f"for p in ({str(gpath)!r}, {str(ppath)!r}):\n    with open(p, 'rb') as fh:\n        for line in fh:\n            decode(line)\n")
        score = [py, "-c", "from ittifaq.evaluate.cli import main; main()", "score", "--gold", str(gpath), "--pred", str(ppath),
                 "--format", "json", "--out", str(Path(tmp) / "r.json")]
        subprocess.run(score, env=env, capture_output=True, check=True)  # writes the bytecode cache
        base = work([py, "-c", "import msgspec"], env)
        parsed = work([py, "-c", parse], env)
        parse_ir, parse_cyc = parsed[0] - base[0], parsed[1] - base[1]
        print(f"# CPU work under cachegrind, {args.docs} documents ({size:.1f} MiB of JSONL), python {sys.version.split()[0]}")
        print(f"parse-only (msgspec, both files, interpreter start-up not charged): {parse_ir / 1e6:,.0f} M instructions,"
              f" {parse_cyc / 1e6:,.0f} M estimated cycles")
        for boot in ("0", "1000"):
            ir, cyc = work([*score, "--n-boot", boot], env)
            print(f"whole `ittifaq score` process, one process, --n-boot {boot}: {ir / 1e6:,.0f} M instructions"
                  f" ({ir / parse_ir:.2f}x parse-only), {cyc / 1e6:,.0f} M estimated cycles ({cyc / parse_cyc:.2f}x)")
        ir, cyc = work([py, "-c", "import ittifaq.evaluate.cli, ittifaq.evaluate.cli.score, ittifaq.evaluate.scoring.parallel,"
                        " ittifaq.evaluate.scoring.pipeline"], env)
        print(f"  of which start-up (interpreter and imports): {ir / 1e6:,.0f} M instructions, {cyc / 1e6:,.0f} M estimated cycles"
              f" ({cyc / parse_cyc:.2f}x parse-only)")


if __name__ == "__main__":
    main()
