"""Benchmark of the ittifaq scorer against seqeval and nervaluate on the same content.

    python benchmarks/bench_scorer.py            # 10k and 100k documents (peers at 10k)
    python benchmarks/bench_scorer.py --quick    # 1k and 10k documents, for a smoke run
    python benchmarks/bench_scorer.py --only-process  # just the whole `ittifaq score` process vs parse-only

Synthetic predictions (~25 spans per document, one BIO layer so the peers can
read them; ~300 tokens of text) are generated with a fixed seed. The peers get the
content already converted to their input form, BIO tags; ittifaq gets it in its two
in-memory forms: column batches (`columns.Batch`, what `ittifaq score` reads JSONL
into) and `Document` objects (the typed Python API; converted to columns inside
`score`). Every timing, ittifaq's and the peers', is the best of three runs (the
machine is shared and noisy; `--peer-runs` sets the peers' count). Timed:

1. scoring itself, documents in memory (ittifaq `score(..., n_boot=0)`, seqeval
   `classification_report(mode="strict", scheme=IOB2)`, nervaluate `Evaluator.evaluate()`);
2. growth from 10k to 100k documents (ittifaq);
3. a 1,000-resample bootstrap over 10k documents;
4. one huge document (100k spans) to show near-linear matching;
5. the whole `ittifaq score` process (reading, validation, parsing, scoring), with
   two processes and with one (ITTIFAQ_WORKERS=1), against merely parsing the same
   two JSONL files with the faster of orjson and msgspec; and the floors no work on the
   validation rules can remove: start-up (interpreter and imports), decoding alone
   into the reader's typed records, and the two of them as the two-process command
   runs them (start-up, then each process decoding its half, nothing checked or counted);
6. peak memory (tracemalloc) of in-memory scoring.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import orjson

from ittifaq.evaluate.columns import from_documents
from ittifaq.evaluate.schema import Attributes, Document, Relation, Span
from ittifaq.evaluate.scoring.pipeline import score

LABELS = ("PER", "ORG", "GPE", "AGREEMENT", "CUE")
ACTORS = ("PER", "ORG", "GPE")
N_TOKENS = 300


def _spans(rng: random.Random, n_tok: int, n_spans: int) -> list[tuple[int, int, str]]:
    starts = sorted(rng.sample(range(0, n_tok - 4, 4), n_spans))
    return [(a, a + rng.randint(0, 2), rng.choice(LABELS)) for a in starts]


def _perturb(rng: random.Random, n_tok: int, gold: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out = []
    for a, b, lab in gold:
        r = rng.random()
        if r < 0.7:
            out.append((a, b, lab))
        elif r < 0.8:
            out.append((a, b, rng.choice(LABELS)))
        elif r < 0.9:
            out.append((a, min(b + 1, a + 3), lab))
    for _ in range(2):
        a = rng.randrange(1, n_tok - 4, 4) + 2
        if all(not (x <= a + 1 and a <= y + 1) for x, y, _ in out):
            out.append((a, a, rng.choice(ACTORS)))
    return sorted(out)


def _doc(did: str, text: str, items: list[tuple[int, int, str]], gold: bool) -> Document:
    spans = []
    for k, (a, b, lab) in enumerate(items):
        attrs = Attributes(agreement_type="energy", status="signed") if lab == "AGREEMENT" else Attributes()
        entity = f"E{k % 7}_{lab}" if (gold and lab in ACTORS) else None
        spans.append(Span(f"T{k}", 3 * a, 3 * b + 2, text[3 * a : 3 * b + 2], lab, entity, attrs))
    heads = [s for s in spans if s.label == "AGREEMENT"]
    tails = [s for s in spans if s.label in ACTORS]
    rels = [Relation(f"R{i}", "party", h.id, t.id) for i, (h, t) in enumerate((h, t) for h in heads for t in tails[:2])]
    return Document(id=did, text=text, title=None, genre="wire", region="global", split="test", origin="original",
                    annotators=["bench"], grounding=[], spans=spans, relations=rels)


def make(n_docs: int, seed: int = 1) -> tuple[list[Document], list[Document], list[list[str]], list[list[str]]]:
    rng = random.Random(seed)
    text = " ".join(["ab"] * N_TOKENS)
    gd, pd, gt, pt = [], [], [], []
    for i in range(n_docs):
        g = _spans(rng, N_TOKENS, 25)
        p = _perturb(rng, N_TOKENS, g)
        gd.append(_doc(f"d{i}", text, g, True))
        pd.append(_doc(f"d{i}", text, p, False))
        gt.append(_bio(g))
        pt.append(_bio(p))
    return gd, pd, gt, pt


def _bio(spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * N_TOKENS
    for a, b, lab in spans:
        tags[a] = f"B-{lab}"
        for k in range(a + 1, b + 1):
            tags[k] = f"I-{lab}"
    return tags


def timed(fn, *args, **kw) -> tuple[float, object]:  # noqa: ANN001
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def traced_peak(fn, *args, **kw) -> float:  # noqa: ANN001
    """Peak MiB that Python allocates while fn runs (tracemalloc; the inputs already exist)."""
    tracemalloc.start()
    try:
        fn(*args, **kw)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def best(k: int, fn, *args, **kw) -> tuple[float, object]:  # noqa: ANN001
    """Best of k runs: the least disturbed by other work on the machine."""
    runs = [timed(fn, *args, **kw) for _ in range(k)]
    return min(r[0] for r in runs), runs[-1][1]


def write(path: Path, docs: list[Document], gold: bool) -> None:
    with open(path, "wb") as fh:
        for d in docs:
            rec = d.to_dict() if gold else {"id": d.id, "text": d.text, "spans": [s.to_dict() for s in d.spans],
                                             "relations": [r.to_dict() for r in d.relations]}
            fh.write(orjson.dumps(rec) + b"\n")


def parse_only(loads, *paths: Path) -> float:  # noqa: ANN001
    t = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            for line in fh:
                loads(line)
    return time.perf_counter() - t


def time_process(gd: list[Document], pd: list[Document]) -> None:
    """The whole `ittifaq score` process against parse-only, on files written from gd / pd."""
    with tempfile.TemporaryDirectory() as tmp:
        gpath, ppath = Path(tmp) / "test.jsonl", Path(tmp) / "pred.jsonl"
        write(gpath, gd, True)
        write(ppath, pd, False)
        size = (gpath.stat().st_size + ppath.stat().st_size) / 2**20
        import msgspec

        generic = msgspec.json.Decoder().decode
        # The machine's speed drifts by tens of percent within minutes: each configuration runs
        # three rounds of (parse-only with orjson, with msgspec, the process), and its ratio is
        # its best process time over the best parse-only time of the same rounds.
        for workers in ("2", "1"):
            for boot in ("0", "1000"):
                cmd = [sys.executable, "-c", "from ittifaq.evaluate.cli import main; main()", "score", "--gold", str(gpath),
                       "--pred", str(ppath), "--n-boot", boot, "--format", "json", "--out", str(Path(tmp) / "r.json")]
                # As an installed package runs: with its modules' bytecode cached (pip compiles it at
                # install time; with PYTHONDONTWRITEBYTECODE set, every run would recompile ~80 ms of source).
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"ITTIFAQ_WORKERS": workers}
                subprocess.run(cmd, capture_output=True, env=env)  # warm-up: writes the bytecode cache
                t_orjson = t_msgspec = t_proc = float("inf")
                for _ in range(3):
                    t_orjson = min(t_orjson, parse_only(orjson.loads, gpath, ppath))
                    t_msgspec = min(t_msgspec, parse_only(generic, gpath, ppath))
                    t, res = timed(subprocess.run, cmd, capture_output=True, text=True, env=env)
                    if res.returncode != 0:
                        print(res.stderr[:2000])
                    t_proc = min(t_proc, t)
                t_parse = min(t_orjson, t_msgspec)
                print(f"whole `ittifaq score` process, {workers} process(es), --n-boot {boot}: {t_proc:.3f} s"
                      f" = {t_proc / t_parse:.1f}x the parse-only time of the same rounds ({size:.1f} MiB;"
                      f" orjson {t_orjson:.3f} s, msgspec {t_msgspec:.3f} s)")
        from ittifaq.evaluate.io.fast_read import read_batch
        from ittifaq.evaluate.io.structs import DECODERS

        t_read, _ = best(3, read_batch, [gpath])
        t_read_p, _ = best(3, read_batch, [ppath], predictions=True)
        print(f"  of which, in one process, reading + validating into columns: gold {t_read:.3f} s, predictions {t_read_p:.3f} s")
        # Floors of this design: what no amount of work on the rule checks can remove.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        imports = "import ittifaq.evaluate.cli, ittifaq.evaluate.cli.score, ittifaq.evaluate.scoring.parallel, ittifaq.evaluate.scoring.pipeline"
        t_start, _ = best(3, subprocess.run, [sys.executable, "-c", imports], env=env)
        t_parse = min(min(parse_only(orjson.loads, gpath, ppath), parse_only(generic, gpath, ppath)) for _ in range(3))
        t_typed = min(parse_only(DECODERS[False, False].decode, gpath) + parse_only(DECODERS[True, False].decode, ppath) for _ in range(3))
        print(f"  floors: start-up alone (interpreter and the imports of `ittifaq score`) {t_start:.3f} s; decoding alone into the"
              f" reader's typed records, no rule checked, {t_typed:.3f} s = {t_typed / t_parse:.2f}x parse-only ({t_parse:.3f} s)")
        # The same two floors as the two-process command meets them, against parse-only in the same rounds.
        floor = [sys.executable, "-c", _TWO_PROCESS_FLOOR, str(gpath), str(ppath)]
        subprocess.run(floor, check=True, env=env)
        t_floor = t_parse2 = float("inf")
        for _ in range(3):
            t_parse2 = min(t_parse2, parse_only(orjson.loads, gpath, ppath), parse_only(generic, gpath, ppath))
            t_floor = min(t_floor, timed(subprocess.run, floor, check=True, env=env)[0])
        print(f"  floor of the two-process command: start-up, then each process decoding its half into typed records,"
              f" no rule checked, nothing counted: {t_floor:.3f} s = {t_floor / t_parse2:.2f}x parse-only ({t_parse2:.3f} s)")


#: Start-up as `ittifaq score` has it, then the cut it makes and a fork; each process only decodes its half.
_TWO_PROCESS_FLOOR = """
import gc, os, sys
from pathlib import Path
import ittifaq.evaluate.cli, ittifaq.evaluate.cli.score, ittifaq.evaluate.scoring.pipeline
from ittifaq.evaluate.io.structs import DECODERS
from ittifaq.evaluate.io.segments import line_blocks as _line_blocks
from ittifaq.evaluate.io.segments import split_lines
from ittifaq.evaluate.scoring.parallel import _cut_after_lines, _lines_in
gc.disable()
g_parts = split_lines([Path(sys.argv[1])], 2)
p_parts = _cut_after_lines([Path(sys.argv[2])], _lines_in(g_parts[0]))
def decode(k):
    for parts, pred in ((g_parts, False), (p_parts, True)):
        dec = DECODERS[pred, False].decode
        for f, lo, hi in parts[k]:
            for lines in _line_blocks(f, lo, hi):
                list(map(dec, lines))
pid = os.fork()
if pid == 0:
    decode(1)
    os._exit(0)
decode(0)
os.waitpid(pid, 0)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-peers", action="store_true", help="do not run seqeval and nervaluate")
    ap.add_argument("--peer-runs", type=int, default=3, help="runs of each peer, best taken, as for ittifaq (default 3)")
    ap.add_argument("--skip-process", action="store_true", help="do not time the whole `ittifaq score` process")
    ap.add_argument("--only-process", action="store_true", help="time only the whole `ittifaq score` process")
    args = ap.parse_args()
    small, large = (1_000, 10_000) if args.quick else (10_000, 100_000)
    if args.only_process:
        gd, pd, _, _ = make(small)
        time_process(gd, pd)
        return

    print(f"# ittifaq scorer benchmark (python {sys.version.split()[0]})")
    gd, pd, gt, pt = make(small)
    n_spans = sum(len(d.spans) for d in gd)
    print(f"{small} documents, {n_spans} gold spans, {sum(len(d.spans) for d in pd)} predicted spans")
    score(gd[:50], pd[:50], n_boot=0)  # warm-up (imports)
    gb, pb = from_documents(gd, gold=True), from_documents(pd, gold=False)
    t_cols, rep = best(3, score, gb, pb, n_boot=0)
    t_ours, rep_docs = best(3, score, gd, pd, n_boot=0)
    t_trusted, rep_trusted = best(3, score, gd, pd, n_boot=0, validate=False)
    assert rep.to_dict() == rep_docs.to_dict() == rep_trusted.to_dict()
    print(f"ittifaq score, column batches in memory (5 schemes + 4 relation modes + attributes + quotes): {t_cols:.3f} s"
          f"  strict micro F1 = {rep.spans['strict']['micro'].f1}")
    print(f"ittifaq score, Document objects in memory (the same, plus checking every validation rule on the objects"
          f" and making columns of them): {t_ours:.3f} s; with validate=False (objects trusted, only made columns): {t_trusted:.3f} s")
    if not args.skip_peers:
        from nervaluate import Evaluator
        from seqeval.metrics import classification_report
        from seqeval.scheme import IOB2

        t_seq, seq = best(args.peer_runs, classification_report, gt, pt, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
        print(f"seqeval classification_report (strict, IOB2): {t_seq:.3f} s  micro F1 = {seq['micro avg']['f1-score']:.6f}"
              f"  -> ittifaq is {t_seq / t_cols:.1f}x faster on columns, {t_seq / t_ours:.1f}x on Documents"
              f" ({t_seq / t_trusted:.1f}x trusted)")
        t_ner, ner = best(args.peer_runs, lambda: Evaluator(gt, pt, tags=list(LABELS), loader="list").evaluate())
        print(f"nervaluate Evaluator.evaluate (4 schemes): {t_ner:.3f} s  strict F1 = {ner['overall']['strict'].f1:.6f}"
              f"  -> ittifaq is {t_ner / t_cols:.1f}x faster on columns, {t_ner / t_ours:.1f}x on Documents"
              f" ({t_ner / t_trusted:.1f}x trusted)")
        fast = min(t_seq, t_ner)
        print(f"ratio vs the faster peer: {fast / t_cols:.1f}x (columns), {fast / t_ours:.1f}x (Documents),"
              f" {fast / t_trusted:.1f}x (Documents, validate=False)")

    peak = traced_peak(score, gd, pd, n_boot=0)
    peak_cols = traced_peak(score, gb, pb, n_boot=0)
    line = f"peak memory of in-memory scoring ({small} docs, tracemalloc, inputs excluded): ittifaq {peak_cols:.1f} MiB (columns), {peak:.1f} MiB (Documents)"
    if not args.skip_peers:
        line += (f"; seqeval {traced_peak(classification_report, gt, pt, mode='strict', scheme=IOB2, output_dict=True, zero_division=0):.1f} MiB"
                 f"; nervaluate {traced_peak(lambda: Evaluator(gt, pt, tags=list(LABELS), loader='list').evaluate()):.1f} MiB")
    print(line)

    t_plain, _ = best(3, score, gd, pd, n_boot=0)
    t_boot, _ = best(3, score, gd, pd, n_boot=1000)
    print(f"score with a 1,000-resample bootstrap over {small} documents: {t_boot:.3f} s"
          f" (the same scoring without bootstrap, timed just before: {t_plain:.3f} s)")

    gd2, pd2, _, _ = make(large, seed=2)
    t_large, _ = best(3, score, gd2, pd2, n_boot=0)
    print(f"growth, Document objects: {small} docs {t_ours:.3f} s -> {large} docs {t_large:.3f} s"
          f" ({t_large / t_ours:.1f}x for {large // small}x documents)")
    gb2, pb2 = from_documents(gd2, gold=True), from_documents(pd2, gold=False)
    del gd2, pd2
    t_large_cols, _ = best(3, score, gb2, pb2, n_boot=0)
    print(f"growth, column batches: {small} docs {t_cols:.3f} s -> {large} docs {t_large_cols:.3f} s"
          f" ({t_large_cols / t_cols:.1f}x for {large // small}x documents)")
    del gb2, pb2

    # One huge document: all spans of 4,000 documents laid end to end.
    huge_n = 4_000
    hg, hp = gd[:huge_n], pd[:huge_n]
    text = " ".join(d.text for d in hg)
    step = len(hg[0].text) + 1

    def concat(docs: list[Document], gold: bool) -> Document:
        spans, rels = [], []
        for i, d in enumerate(docs):
            for s in d.spans:
                spans.append(Span(f"{i}.{s.id}", s.start + i * step, s.end + i * step, s.text, s.label, s.entity, s.attributes))
            rels += [Relation(f"{i}.{r.id}", r.label, f"{i}.{r.head}", f"{i}.{r.tail}") for r in d.relations]
        return Document(id="huge", text=text, split="test", spans=spans, relations=rels)

    big_g, big_p = concat(hg, True), concat(hp, False)
    t_huge, _ = best(3, score, [big_g], [big_p], n_boot=0)
    t_many, _ = best(3, score, hg, hp, n_boot=0)
    print(f"one document of {len(big_g.spans)} spans ({len(text)} characters): {t_huge:.3f} s"
          f" (the same spans as {huge_n} documents: {t_many:.3f} s)")

    if not args.skip_process:
        time_process(gd, pd)


if __name__ == "__main__":
    main()
