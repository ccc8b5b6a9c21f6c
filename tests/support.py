"""Helpers shared by test modules (not a test file itself): paths, the CLI in a subprocess,
document builders for scorer tests, and random BIO-convertible cases for the oracle cross-checks."""

from __future__ import annotations

import importlib
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from ittifaq.evaluate.schema import Attributes, Document, Relation, Span

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def lazy(module: str) -> Any:
    """`module`, imported when an attribute is first read (keeps heavy imports out of test collection)."""

    class _Lazy:
        def __getattr__(self, name: str) -> Any:
            return getattr(importlib.import_module(module), name)

    return _Lazy()


def run_cli(*args: str, cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ittifaq ARGS` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ittifaq.evaluate.cli", *args], capture_output=True, text=True, cwd=cwd
    )


# -- builders for scorer tests

#: Written for these tests (not from any article): "The foreign minister said in Cairo
#: that Egypt and Jordan signed an agreement for energy cooperation."
TEXT = "وقال وزير الخارجية في القاهرة إن مصر والأردن وقعتا اتفاقية للتعاون في الطاقة."
PLAIN = "x" * 400


def span(sid: str, start: int, end: int, label: str = "PER", entity: str | None = None, text: str = PLAIN, **attrs: str) -> Span:
    return Span(sid, start, end, text[start:end], label, entity, Attributes(**attrs))


def doc(did: str, spans: list[Span], relations: list[tuple[str, str, str]] | None = None, text: str = PLAIN) -> Document:
    rels = [Relation(f"R{i}", lab, h, t) for i, (lab, h, t) in enumerate(relations or [])]
    return Document(id=did, text=text, spans=spans, relations=rels, split="test")


def spans_doc(did: str, items: list[tuple[int, int, str]], text: str = PLAIN) -> Document:
    return doc(did, [span(f"T{i}", s, e, lab, text=text) for i, (s, e, lab) in enumerate(items)], text=text)


# -- random cases shared by the seqeval and nervaluate cross-checks

LABELS = ("PER", "ORG", "GPE")


def _resolve(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop spans that overlap an earlier kept one (so one BIO layer can hold them)."""
    taken: set[int] = set()
    out = []
    for a, b, lab in spans:
        if any(i in taken for i in range(a, b + 1)):
            continue
        taken.update(range(a, b + 1))
        out.append((a, b, lab))
    return out


def case(rng: random.Random) -> tuple[int, list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """n tokens, gold and predicted spans as inclusive token ranges."""
    n = rng.randint(1, 25)
    gold = []
    i = 0
    while i < n:
        if rng.random() < 0.35:
            length = rng.randint(1, 4)
            gold.append((i, min(n - 1, i + length - 1), rng.choice(LABELS)))
            i += length + rng.randint(0, 1)
        else:
            i += 1
    gold = _resolve(gold)
    pred = []
    for a, b, lab in gold:
        r = rng.random()
        if r < 0.45:
            pred.append((a, b, lab))
        elif r < 0.6:
            pred.append((a, b, rng.choice(LABELS)))
        elif r < 0.8:
            a2 = min(n - 1, max(0, a + rng.randint(-2, 2)))
            b2 = min(n - 1, max(a2, b + rng.randint(-2, 2)))
            pred.append((a2, b2, rng.choice([lab, lab, rng.choice(LABELS)])))
    for _ in range(rng.randint(0, 3)):
        a = rng.randrange(n)
        pred.append((a, min(n - 1, a + rng.randint(0, 3)), rng.choice(LABELS)))
    rng.shuffle(pred)
    return n, gold, _resolve(pred)


def bio(n: int, spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * n
    for a, b, lab in spans:
        tags[a] = f"B-{lab}"
        for k in range(a + 1, b + 1):
            tags[k] = f"I-{lab}"
    return tags


def document(did: str, n: int, spans: list[tuple[int, int, str]]) -> Document:
    """Token i is the two letters at characters [3i, 3i + 2)."""
    text = " ".join(["ab"] * n)
    return Document(
        id=did, text=text, split="test",
        spans=[Span(f"T{k}", 3 * a, 3 * b + 2, text[3 * a : 3 * b + 2], lab) for k, (a, b, lab) in enumerate(spans)],
    )


def micro_counts(gold: Document, pred: Document) -> dict[str, tuple[int, int, int, int, int]]:
    """Per scheme: correct, incorrect, partial, missed, spurious of one document (counts only: fast)."""
    from ittifaq.evaluate.scoring.counts import compute_counts

    out = {}
    for scheme, (g, p) in compute_counts([gold], [pred]).spans.items():
        g, p = g.sum(axis=(0, 1)), p.sum(axis=(0, 1))
        out[scheme] = (int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(p[3]))
    return out


def corpus(n_cases: int, seed: int) -> tuple[list[Document], list[Document], list[list[str]], list[list[str]], list]:
    rng = random.Random(seed)
    gd, pd, gt, pt, raw = [], [], [], [], []
    for i in range(n_cases):
        n, g, p = case(rng)
        gd.append(document(f"c{i}", n, g))
        pd.append(document(f"c{i}", n, p))
        gt.append(bio(n, g))
        pt.append(bio(n, p))
        raw.append((n, g, p))
    return gd, pd, gt, pt, raw


def train_rules_model(out: Path) -> Path:
    """The `rules` baseline trained on the fixture corpus (about a second): a real model for annotate tests."""
    from ittifaq.baselines.interface import system_class
    from ittifaq.evaluate.io.documents import read_documents

    model = system_class("rules")()
    model.train(read_documents([FIXTURES / "baselines_train.jsonl"]), None, progress=False)
    model.save(out)
    return out


def corpus_paragraphs() -> list[str]:
    """The paragraphs of the bundled corpus's texts: material for synthetic archives (about 3,900)."""
    import ittifaq

    return [p for d in ittifaq.load() for p in (d.text or "").split("\n\n") if p.strip()]


def write_archive(folder: Path, shards: int, per_shard: int, paragraphs: list[str]) -> list[Path]:
    """JSONL shards of paragraph documents (ids p000000…, with a date), cycling through `paragraphs`."""
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    paths, k = [], 0
    for s in range(shards):
        path = folder / f"shard-{s:03d}.jsonl"
        with open(path, "wb") as fh:
            for _ in range(per_shard):
                rec = {"id": f"p{k:06d}", "text": paragraphs[k % len(paragraphs)], "date": "2020-01-01"}
                fh.write(orjson.dumps(rec) + b"\n")
                k += 1
        paths.append(path)
    return paths
