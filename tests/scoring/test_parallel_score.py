"""Two processes, each reading and counting half the documents, give the one-process report."""

from __future__ import annotations

import copy
import json
import random

import orjson
import pytest
from click.testing import CliRunner

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.documents import CORPUS_DATA
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.scoring import parallel as parallel_score


def _predictions(gold_lines: list[bytes], rng: random.Random) -> list[dict]:
    out = []
    for line in gold_lines:
        rec = orjson.loads(line)
        keep = [s for s in rec["spans"] if rng.random() > 0.15]
        ids = {s["id"] for s in keep}
        for s in keep:
            if rng.random() < 0.1:
                s["end"] = min(s["end"] + 1, len(rec["text"]))
                s["text"] = rec["text"][s["start"] : s["end"]]
        out.append({"id": rec["id"], "text": rec["text"], "spans": keep,
                    "relations": [r for r in rec["relations"] if r["head"] in ids and r["tail"] in ids]})
    return out


@pytest.fixture()
def files(tmp_path, monkeypatch):
    """The bundled test split repeated with fresh ids (so that it is worth two processes), and predictions."""
    monkeypatch.setattr(parallel_score, "MIN_PARALLEL_BYTES", 0)
    lines = (CORPUS_DATA / "test.jsonl").read_bytes().splitlines()
    gold = []
    for k in range(4):
        for line in lines:
            rec = orjson.loads(line)
            rec["id"] = f"{rec['id']}-{k}"
            gold.append(rec)
    gold_path = tmp_path / "test.jsonl"
    gold_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in gold))
    preds = _predictions([orjson.dumps(r) for r in gold], random.Random(2))
    return gold_path, preds, tmp_path


def _write(path, recs):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return path


def _score(gold, pred, tmp, monkeypatch, workers: str, *extra: str) -> tuple[dict, list]:
    monkeypatch.setenv("ITTIFAQ_WORKERS", workers)
    out, err = tmp / f"r{workers}.json", tmp / f"e{workers}.jsonl"
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--format", "json", "--n-boot", "100",
                                 "--out", str(out), "--errors", str(err), *extra])
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text(encoding="utf-8")), err.read_text(encoding="utf-8").splitlines()


def test_two_processes_give_the_one_process_report(files, monkeypatch):
    gold, preds, tmp = files
    pred = _write(tmp / "pred.jsonl", preds)
    counted = parallel_score.count_files([str(gold)], [str(pred)])
    if parallel_score.workers() < 2:
        pytest.skip("one core or no fork here")
    assert counted is not None, "ordered predictions must take the two-process path"
    assert counted.counts.n_docs == sum(1 for _ in gold.open("rb"))
    one = _score(gold, pred, tmp, monkeypatch, "1")
    two = _score(gold, pred, tmp, monkeypatch, "2")
    assert one == two


def test_a_sandbox_refusing_memfd_still_gets_two_processes(files, monkeypatch):
    gold, preds, tmp = files
    if parallel_score.workers() < 2:
        pytest.skip("one core or no fork here")
    pred = _write(tmp / "pred.jsonl", preds)

    def refused(name: str, flags: int = 0) -> int:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(parallel_score.os, "memfd_create", refused, raising=False)
    counted = parallel_score.count_files([str(gold)], [str(pred)])
    assert counted is not None and counted.counts.n_docs == sum(1 for _ in gold.open("rb"))


def test_shuffled_missing_or_invalid_predictions_fall_back(files, monkeypatch):
    gold, preds, tmp = files
    if parallel_score.workers() < 2:
        pytest.skip("one core or no fork here")
    shuffled = copy.deepcopy(preds)
    random.Random(4).shuffle(shuffled)
    missing = preds[:5] + preds[40:]
    bad = copy.deepcopy(preds)
    bad[-1]["spans"][0]["start"] = -1
    for name, recs in (("shuffled", shuffled), ("missing", missing)):
        pred = _write(tmp / f"{name}.jsonl", recs)
        assert parallel_score.count_files([str(gold)], [str(pred)]) is None
        assert _score(gold, pred, tmp, monkeypatch, "2") == _score(gold, pred, tmp, monkeypatch, "1")
    pred = _write(tmp / "bad.jsonl", bad)
    assert parallel_score.count_files([str(gold)], [str(pred)]) is None
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "0"])
    # The full validator names the line, document, span, field and rule.
    assert isinstance(r.exception, InputError)
    assert f"{pred}:{len(bad)} | doc {bad[-1]['id']} | span" in str(r.exception) and "[out-of-range]" in str(r.exception)


def test_counting_in_blocks_changes_nothing(monkeypatch):
    """`count` matches documents in blocks of about BLOCK_SPANS spans; the report cannot tell."""
    from ittifaq.evaluate.schema import Document
    from ittifaq.evaluate.scoring import pipeline

    lines = (CORPUS_DATA / "test.jsonl").read_bytes().splitlines()
    gold = [Document.from_dict(orjson.loads(x)) for x in lines]
    pred = [Document.from_dict(r) for r in _predictions(lines, random.Random(9))]
    random.Random(1).shuffle(pred)  # blocks follow gold order whatever the prediction order
    reports = []
    for block in (10**9, 50, 1):
        monkeypatch.setattr(pipeline, "BLOCK_SPANS", block)
        rep = pipeline.score(gold, pred, n_boot=100, collect_errors=True)
        reports.append((rep.to_dict(), rep.errors))
    assert reports[0] == reports[1] == reports[2]
