"""`ittifaq annotate --in GLOB --out OUTDIR`: the same files for any --workers, a resume after kill -9 that
redoes no finished shard, a finished run that is a no-op, rejects on the side."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from support import corpus_paragraphs, train_rules_model, write_archive

from ittifaq.evaluate.archive.sink import read_output
from ittifaq.evaluate.cli import cli


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return train_rules_model(tmp_path_factory.mktemp("model") / "rules")


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    return corpus_paragraphs()


def _annotate(*args: str) -> str:
    res = CliRunner().invoke(cli, ["annotate", *args, "--quiet"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_output_is_the_same_for_one_and_two_workers(tmp_path, model, paragraphs, fmt):
    src = tmp_path / "in"
    write_archive(src / "2020", 2, 70, paragraphs)
    write_archive(src / "2021", 1, 5, paragraphs[500:])
    with open(src / "2021" / "shard-000.jsonl", "ab") as fh:
        fh.write(orjson.dumps({"id": "p900000", "text": ""}) + b"\n")
    one, two = tmp_path / "one", tmp_path / "two"
    _annotate("--model", str(model), "--in", str(src / "2020" / "*.jsonl"), "--in", str(src / "2021"),
              "--out", str(one), "--format", fmt)
    _annotate("--model", str(model), "--in", str(src / "2020" / "*.jsonl"), "--in", str(src / "2021"),
              "--out", str(two), "--format", fmt, "--workers", "2")
    a, b = _tree(one), _tree(two)
    assert a == b
    assert {f"2020/shard-000.{fmt}", f"2020/shard-001.{fmt}", f"2021/shard-000.{fmt}", "manifest.json",
            "rejects/2021/shard-000.jsonl"} == set(a)
    records = read_output(one / f"2020/shard-001.{fmt}")
    assert [r["id"] for r in records] == [f"p{k:06d}" for k in range(70, 140)]
    assert records[0]["text"] == paragraphs[70] and records[0]["date"] == "2020-01-01"
    assert any(s["label"] == "GPE" for r in records for s in r["spans"])
    reject = orjson.loads(a["rejects/2021/shard-000.jsonl"])
    assert (reject["id"], reject["line"], reject["reason"]) == ("p900000", 6, "no text")


def test_a_finished_run_is_a_no_op_and_a_changed_shard_is_redone(tmp_path, model, paragraphs):
    shards = write_archive(tmp_path / "in", 3, 10, paragraphs)
    out = tmp_path / "out"
    args = ("--model", str(model), "--in", str(tmp_path / "in"), "--out", str(out))
    _annotate(*args)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    res = CliRunner().invoke(cli, ["annotate", *args])
    assert res.exit_code == 0 and "nothing to do: all 3 shard(s)" in res.output
    assert before == {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    with open(shards[1], "ab") as fh:
        fh.write(orjson.dumps({"id": "p999999", "text": paragraphs[0]}) + b"\n")
    _annotate(*args)
    assert len(read_output(out / "shard-001.jsonl")) == 11
    for name in ("shard-000.jsonl", "shard-002.jsonl"):
        p = out / name
        assert before[p] == (p.stat().st_ino, p.stat().st_mtime_ns)
    res = CliRunner().invoke(cli, ["annotate", *args, "--format", "parquet"])
    assert res.exit_code != 0 and "another format" in str(res.exception)


def test_resume_after_kill_9_redoes_no_finished_shard(tmp_path, model, paragraphs):
    write_archive(tmp_path / "in", 8, 250, paragraphs)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ittifaq.evaluate.cli", "annotate", "--model", str(model),
           "--in", str(tmp_path / "in" / "*.jsonl"), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / "manifest.json"
    done: dict = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = json.loads(manifest.read_text(encoding="utf-8"))["shards"]
        except (OSError, ValueError, KeyError):
            done = {}
        if len(done) >= 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    done = json.loads(manifest.read_text(encoding="utf-8"))["shards"]
    assert 2 <= len(done) < 8
    finished = {name: ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) for name in done}
    rerun = subprocess.run(cmd[:-1], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({len(done)} already done)" in rerun.stderr
    assert finished == {name: ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) for name in done}
    assert sorted(json.loads(manifest.read_text(encoding="utf-8"))["shards"]) == [f"shard-{i:03d}.jsonl" for i in range(8)]
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "a staging file of the killed run was left"
    ids = [r["id"] for i in range(8) for r in read_output(out / f"shard-{i:03d}.jsonl")]
    assert ids == [f"p{k:06d}" for k in range(2000)]


def test_single_file_and_text_forms_still_work(tmp_path, model):
    src = tmp_path / "one.jsonl"
    src.write_bytes(orjson.dumps({"id": "d1", "text": "وقال وزير الخارجية المصري إن القاهرة ترحب بالاتفاق."}) + b"\n")
    out = tmp_path / "pred.jsonl"
    _annotate("--model", str(model), "--in", str(src), "--out", str(out))
    assert out.is_file() and [r["id"] for r in read_output(out)] == ["d1"]
    res = CliRunner().invoke(cli, ["annotate", "--model", str(model), "--format", "text", "وقال الوزير إن الاتفاق جيد."])
    assert res.exit_code == 0 and res.output.startswith("# doc-1")


def test_archive_refuses_an_output_folder_inside_the_inputs_and_a_foreign_folder(tmp_path, model, paragraphs):
    write_archive(tmp_path / "in", 1, 2, paragraphs)
    res = CliRunner().invoke(cli, ["annotate", "--model", str(model), "--in", str(tmp_path / "in"),
                                   "--out", str(tmp_path / "in" / "out"), "--workers", "1"])
    assert res.exit_code != 0 and "outside the inputs" in str(res.exception)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    res = CliRunner().invoke(cli, ["annotate", "--model", str(model), "--in", str(tmp_path / "in"),
                                   "--out", str(tmp_path / "busy")])
    assert res.exit_code != 0 and "holds no manifest.json" in str(res.exception)


def test_the_event_tables_come_out_of_an_annotated_archive(tmp_path, model, paragraphs):
    write_archive(tmp_path / "in", 2, 40, paragraphs)
    _annotate("--model", str(model), "--in", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--format", "parquet")
    res = CliRunner().invoke(cli, ["events", str(tmp_path / "out"), str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    spans = [s for name in ("shard-000.parquet", "shard-001.parquet")
             for r in read_output(tmp_path / "out" / name) for s in r["spans"]]
    counts = {label: sum(s["label"] == label for s in spans) for label in ("AGREEMENT", "QUOTE")}
    assert counts["AGREEMENT"] > 0
    for table, label in (("agreements", "AGREEMENT"), ("quotes", "QUOTE")):
        with open(tmp_path / "ev" / f"{table}.csv", encoding="utf-8", newline="") as fh:
            assert len(list(csv.DictReader(fh))) == counts[label]
