"""`score_files`: the library reads files the way `ittifaq score` does, and gives the very same report."""

from __future__ import annotations

import orjson
import pytest
from support import REPO, run_cli

from ittifaq.evaluate import score, score_files
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.render.tables import render_score
from ittifaq.evaluate.scoring import parallel

GOLD = REPO / "corpus" / "data" / "test.jsonl"
PRED = REPO / "results" / "predictions" / "crf.test.jsonl"


def test_equals_the_command_line():
    rep = score_files([GOLD], [PRED], n_boot=50, seed=3)
    run = run_cli("score", "--gold", str(GOLD), "--pred", str(PRED), "--format", "json", "--n-boot", "50", "--seed", "3")
    assert run.returncode == 0, run.stderr
    assert render_score(rep.to_dict(), "json") == run.stdout


@pytest.mark.parametrize("processes", [1, 2])
def test_every_route_gives_the_report_of_the_documents(monkeypatch, processes):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setenv("ITTIFAQ_WORKERS", str(processes))
    from_files = score_files([GOLD], [PRED], n_boot=20, collect_errors=True)
    from_docs = score(read_documents([GOLD]), read_documents([PRED], predictions=True), gold_path=GOLD, n_boot=20,
                      collect_errors=True)
    assert from_files.to_dict() == from_docs.to_dict() and from_files.errors == from_docs.errors


def test_bad_prediction_is_located(tmp_path):
    lines = PRED.read_bytes().splitlines()
    rec = orjson.loads(lines[2])
    rec["text"] = rec["text"] + " زائد"
    lines[2] = orjson.dumps(rec)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError, match=f"{bad}:3"):
        score_files([GOLD], [bad], n_boot=0)
