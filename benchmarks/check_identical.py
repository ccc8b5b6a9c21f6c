"""Prove a refactoring changed no output: digest what every command and the Python API produce.

    python benchmarks/check_identical.py --write   # record benchmarks/identical.json
    python benchmarks/check_identical.py           # compare with it; exit 1 on any difference
    python benchmarks/check_identical.py --keep D  # also keep every output under D (to diff two runs)

Runs every `ittifaq` command (and the Python API) on the bundled corpus and the shipped
predictions (results/predictions): stdout, stderr, exit code and every file written are
hashed, one digest per case. Temporary paths and the checkout's own path are replaced by
`<tmp>` and `<root>` first, so digests depend only on what the code produces from the data.
`--fixture` records or compares another file (e.g. digests of another checkout).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).with_name("identical.json")
GOLD = "corpus/data/test.jsonl"
PREDS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "results" / "predictions").glob("*.jsonl"))
EXE = str(Path(sys.executable).parent / "ittifaq")

#: The Python API, run in a fresh interpreter; prints what it returns.
API = r"""
import sys, orjson, ittifaq
from ittifaq.evaluate import read_columns, score
gold = ittifaq.load("test")
print(len(ittifaq.load()), len(gold), gold[0].id)
pred = ittifaq.load(path=sys.argv[1])
for n_boot in (0, 200):
    rep = score(gold, pred, n_boot=n_boot, seed=7)
    sys.stdout.write(orjson.dumps(rep.to_dict(), option=orjson.OPT_SORT_KEYS).decode() + "\n")
rep = score(read_columns([sys.argv[2]]), read_columns([sys.argv[1]], predictions=True), n_boot=100)
sys.stdout.write(orjson.dumps(rep.to_dict(), option=orjson.OPT_SORT_KEYS).decode() + "\n")
rep = score(gold, pred, n_boot=50, norm="arabic", collect_errors=True)
sys.stdout.write(orjson.dumps(rep.to_dict(), option=orjson.OPT_SORT_KEYS).decode() + "\n")
sys.stdout.write(orjson.dumps(rep.errors, option=orjson.OPT_SORT_KEYS).decode() + "\n")
"""


def cases(tmp: str) -> dict[str, list[str]]:
    """Case name -> argv (after `ittifaq`); outputs go under `tmp`/<case>/."""
    rules, crf, spacy = PREDS
    c: dict[str, list[str]] = {"help": ["--help"], "version": ["--version"]}
    for cmd in ("validate", "stats", "score", "compare", "agree", "export", "import", "render", "corpus",
                "hub", "baseline", "benchmark", "annotate"):
        c[f"help-{cmd}"] = [cmd, "--help"]
    for sub in ("build", "check", "agreement"):
        c[f"help-corpus-{sub}"] = ["corpus", sub, "--help"]
    c["validate-gold"] = ["validate", "corpus/data"]
    c["validate-pred"] = ["validate", "--predictions", *PREDS]
    c["validate-pred-as-gold"] = ["validate", "--max-problems", "5", rules]
    c["stats-table"] = ["stats", "corpus/data"]
    c["stats-json"] = ["stats", "--format", "json", "corpus/data/train.jsonl", GOLD]
    c["stats-plot"] = ["stats", "corpus/data", "--plot", "{out}/stats.png"]
    c["corpus-build-check"] = ["corpus", "build", "--check"]
    c["corpus-check"] = ["corpus", "check", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "corpus/sources").glob("00[0-2]*.txt"))]
    c["corpus-agreement"] = ["corpus", "agreement", "--no-write"]
    for fmt in ("table", "json", "markdown", "csv"):
        c[f"score-{fmt}"] = ["score", "--pred", rules, "--format", fmt]
        c[f"compare-{fmt}"] = ["compare", "--gold", GOLD, "--pred", rules, "--pred", crf, "--pred", spacy,
                               "--n-boot", "200", "--n-trials", "200", "--format", fmt]
        c[f"agree-{fmt}"] = ["agree", GOLD, "corpus/data/test.jsonl", "--n-boot", "100", "--format", fmt]
    for p in PREDS:
        name = Path(p).stem
        c[f"score-{name}-json"] = ["score", "--gold", GOLD, "--pred", p, "--format", "json", "--seed", "3",
                                   "--out", "{out}/report.json", "--errors", "{out}/errors.jsonl"]
        c[f"score-{name}-onecore"] = ["@ITTIFAQ_WORKERS=1", "score", "--gold", GOLD, "--pred", p, "--format", "json",
                                      "--n-boot", "0"]
    c["score-normalize"] = ["score", "--split", "test", "--pred", crf, "--normalize", "arabic", "--format", "json"]
    c["score-unknown-spurious"] = ["score", "--pred", spacy, "--unknown-labels", "spurious", "--n-boot", "0"]
    c["score-ignore-extra"] = ["score", "--gold", GOLD, "--pred", "results/predictions", "--ignore-extra", "--n-boot", "10"]
    c["score-plot"] = ["score", "--pred", rules, "--plot", "{out}/score.png", "--n-boot", "50"]
    c["score-bad-split"] = ["score", "--split", "train", "--pred", rules]
    c["compare-names"] = ["compare", "--pred", rules, "--pred", crf, "--name", "a", "--name", "b", "--n-boot", "50",
                          "--n-trials", "50"]
    c["agree-train-vs-test"] = ["agree", "corpus/data/train.jsonl", GOLD]
    for fmt, out in (("brat", "brat"), ("conll", "x.conll"), ("spacy", "x.spacy"), ("labelstudio", "x.json"),
                     ("inception", "inception")):
        c[f"export-{fmt}"] = ["export", "--to", fmt, GOLD, f"{{out}}/{out}"]
    c["render-corpus"] = ["render", GOLD, "--out", "{out}/site"]
    c["render-pred"] = ["render", rules, "--gold", GOLD, "--out", "{out}/site"]
    c["hub-dry-run"] = ["hub", "push", "--repo-id", "org/ittifaq", "--dry-run", "--corpus", "corpus"]
    c["baseline-rules"] = ["@SEQ", "baseline", "train", "rules", "--quiet", "--out", "{out}/rules",
                           "@THEN", "baseline", "predict", "rules", "--quiet", "--model", "{out}/rules", "--in", GOLD,
                           "--out", "{out}/pred.jsonl",
                           "@THEN", "annotate", "--help"]
    return c


def _run(argv: list[str], out: Path, env: dict[str, str]) -> bytes:
    env = dict(env)
    while argv and argv[0].startswith("@") and "=" in argv[0]:
        k, v = argv[0][1:].split("=", 1)
        env[k] = v
        argv = argv[1:]
    steps = [[]]
    for a in argv:
        if a == "@SEQ":
            continue
        if a == "@THEN":
            steps.append([])
        else:
            steps[-1].append(a.replace("{out}", str(out)))
    blob = b""
    for step in steps:
        res = subprocess.run([EXE, *step], cwd=ROOT, env=env, capture_output=True)
        blob += b"rc=%d\n--stdout--\n%s\n--stderr--\n%s\n" % (res.returncode, res.stdout, res.stderr)
    return blob


def _files(out: Path) -> bytes:
    blob = b""
    for p in sorted(out.rglob("*")):
        if p.is_file():
            blob += b"--file %s--\n%s\n" % (str(p.relative_to(out)).encode(), p.read_bytes())
    return blob


def run_all(keep: Path | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0", COLUMNS="120")
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ittifaq-identical-") as tmp:
        outputs: dict[str, bytes] = {}
        for name, argv in cases(tmp).items():
            out = Path(tmp) / name
            out.mkdir()
            outputs[name] = _run(argv, out, env) + _files(out)
        # import: read back what the exports wrote
        for fmt, out in (("brat", "brat"), ("spacy", "x.spacy"), ("labelstudio", "x.json"), ("inception", "inception")):
            src = Path(tmp) / f"export-{fmt}" / out
            dest = Path(tmp) / f"import-{fmt}"
            dest.mkdir()
            outputs[f"import-{fmt}"] = _run(["import", "--from", fmt, str(src), "{out}/back.jsonl"], dest, env) + _files(dest)
        res = subprocess.run([sys.executable, "-c", API, PREDS[0], GOLD], cwd=ROOT, env=env, capture_output=True)
        outputs["python-api"] = b"rc=%d\n%s\n%s" % (res.returncode, res.stdout, res.stderr)
        for name, blob in outputs.items():
            blob = blob.replace(tmp.encode(), b"<tmp>").replace(str(ROOT).encode(), b"<root>")
            digests[name] = hashlib.sha256(blob).hexdigest()
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"{name}.out").write_bytes(blob)
    return digests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help=f"record the digests in {FIXTURE.name}")
    ap.add_argument("--keep", type=Path, default=None, help="also keep every output (as text) in this folder")
    ap.add_argument("--fixture", type=Path, default=FIXTURE, help=f"the digests file (default {FIXTURE.name})")
    args = ap.parse_args()
    if args.keep and args.keep.exists():
        shutil.rmtree(args.keep)
    digests = run_all(args.keep)
    if args.write:
        args.fixture.write_bytes(orjson.dumps(digests, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        print(f"recorded {len(digests)} digests in {args.fixture}")
        return
    before = orjson.loads(args.fixture.read_bytes())
    differ = sorted(k for k in before.keys() | digests.keys() if before.get(k) != digests.get(k))
    for k in differ:
        print(f"differs: {k}")
    print(f"{len(digests) - len(differ)} of {len(before)} cases identical")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
