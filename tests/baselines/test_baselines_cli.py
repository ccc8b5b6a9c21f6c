"""`ittifaq benchmark`, `ittifaq baseline train/predict` and `ittifaq annotate` on the fixture corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from support import FIXTURES

from ittifaq.baselines.benchmark import LEADERBOARD, data_record, figure, run_benchmark
from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.validation import check_record
from ittifaq.evaluate.schema import LAYERS

SENTENCE = "وقعت روسيا ومصر اتفاقية تعاون في مجال الطاقة النووية. وقال سيرغي لافروف إن الاتفاقية ستعزز العلاقات بين البلدين."


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    for split in ("train", "validation", "test"):
        shutil.copy(FIXTURES / f"baselines_{split}.jsonl", d / f"{split}.jsonl")
    return d


@pytest.fixture(scope="module")
def bench(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    models = tmp_path_factory.mktemp("models")
    result = run_benchmark(
        data_dir, out, models_dir=models, n_boot=50, progress=False, system_options={"spacy": {"max_epochs": 3}}
    )
    return result, out, models


def test_benchmark_json_has_the_documented_keys(bench):
    _, out, _ = bench
    data = json.loads((out / "benchmark.json").read_text(encoding="utf-8"))
    assert set(data) >= {"signature", "systems"}
    assert data["signature"].startswith("ittifaq:") and "split:test" in data["signature"]
    assert set(data["systems"]) == {"rules", "crf", "spacy"}
    for report in data["systems"].values():
        assert report["signature"] == data["signature"]
        for layer in LAYERS:
            fig = report["spans"]["strict"]["per_layer"][layer]
            assert {"p", "r", "f1", "ci", "counts"} <= set(fig)
        assert "f1" in report["relations"]["strict"]["micro"] and "f1" in report["relations"]["entity"]["micro"]
        assert "speaker_entity" in report["quotes"]
        for _, path in LEADERBOARD:
            figure(report, path)
    md = (out / "benchmark.md").read_text(encoding="utf-8")
    assert "## Leaderboard" in md and data["signature"] in md and "Error analysis" in md
    # Which data: the test file's hash prefix is the one the signature names.
    assert set(data["data"]) == {"train", "validation", "test"}
    assert f"gold:{data['data']['test']['sha256_prefix']}|" in data["signature"]


def test_data_record_names_a_bundled_file_by_its_place_in_the_package():
    from ittifaq.evaluate.io.documents import corpus_files

    (test_file,) = corpus_files("test")
    rec = data_record(test_file, 15)
    assert rec["file"] == "corpus/data/test.jsonl" and len(rec["sha256_prefix"]) == 12 and rec["documents"] == 15


def test_benchmark_numbers_rescore_from_the_written_predictions(bench, data_dir):
    from ittifaq.evaluate.scoring.pipeline import score

    result, out, _ = bench
    gold = read_documents([data_dir / "test.jsonl"])
    for name, report in result.systems.items():
        pred_path = out / "predictions" / f"{name}.test.jsonl"
        for line in pred_path.read_text(encoding="utf-8").splitlines():
            assert check_record(orjson.loads(line), predictions=True) == []
        again = score(gold, read_documents([pred_path], predictions=True), n_boot=0).to_dict()
        assert again["spans"]["strict"]["micro"]["f1"] == report["spans"]["strict"]["micro"]["f1"]
        assert again["relations"]["strict"]["micro"]["f1"] == report["relations"]["strict"]["micro"]["f1"]


def test_benchmark_command_prints_the_leaderboard(data_dir, tmp_path):
    res = CliRunner().invoke(
        cli,
        ["benchmark", "--data", str(data_dir), "--out", str(tmp_path / "r"), "--models", str(tmp_path / "m"),
         "--system", "rules", "--n-boot", "20", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    assert "actors strict F1" in res.output and "signature: ittifaq:" in res.output
    data = json.loads((tmp_path / "r" / "benchmark.json").read_text(encoding="utf-8"))
    assert list(data["systems"]) == ["rules"]


def test_annotate_finds_actor_cue_and_agreement(bench):
    _, _, models = bench
    res = CliRunner().invoke(cli, ["annotate", SENTENCE, "--model", str(models / "crf")])
    assert res.exit_code == 0, res.output
    (record,) = [orjson.loads(line) for line in res.output.splitlines()]
    assert check_record(record, predictions=True) == []
    found = {(s["label"], s["text"]) for s in record["spans"]}
    assert ("PER", "سيرغي لافروف") in found
    assert ("GPE", "روسيا") in found
    assert ("CUE", "قال") in found
    assert any(label == "AGREEMENT" and text.startswith("اتفاقية تعاون") for label, text in found)
    by_id = {s["id"]: s for s in record["spans"]}
    speakers = [(by_id[r["head"]]["label"], by_id[r["tail"]]["text"]) for r in record["relations"] if r["label"] == "speaker"]
    assert speakers == [("QUOTE", "سيرغي لافروف")]


def test_annotate_reads_text_and_jsonl_files(bench, tmp_path):
    _, _, models = bench
    raw = tmp_path / "Article One.txt"
    raw.write_text(SENTENCE, encoding="utf-8")
    res = CliRunner().invoke(cli, ["annotate", "--in", str(raw), "--model", str(models / "rules"), "--format", "text"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# article-one") and "سيرغي لافروف" in res.output
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "a1", "text": SENTENCE}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    res = CliRunner().invoke(cli, ["annotate", "--in", str(docs), "--model", str(models / "rules"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert orjson.loads(out.read_text(encoding="utf-8"))["id"] == "a1"


def test_annotate_bad_jsonl_names_line_and_field(bench, tmp_path):
    _, _, models = bench
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok", "text": "نص"}\n{"id": "Bad Id", "text": "نص"}\n{"id": "x"}\n', encoding="utf-8")
    out = tmp_path / "never.jsonl"
    res = CliRunner().invoke(cli, ["annotate", "--in", str(bad), "--model", str(models / "rules"), "--out", str(out)])
    assert res.exit_code != 0
    message = str(res.exception) + res.output
    assert "bad.jsonl:2" in message and "field id" in message
    assert "bad.jsonl:3" in message and "field text" in message
    assert not out.exists()


def test_baseline_train_and_predict_commands(data_dir, tmp_path):
    runner = CliRunner()
    model = tmp_path / "rules-model"
    res = runner.invoke(cli, ["baseline", "train", "rules", "--data", str(data_dir), "--out", str(model), "--quiet"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "pred.jsonl"
    res = runner.invoke(
        cli, ["baseline", "predict", "rules", "--model", str(model), "--in", str(data_dir / "test.jsonl"), "--out", str(out), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    preds = read_documents([out], predictions=True)
    assert [p.id for p in preds] == [d.id for d in read_documents([data_dir / "test.jsonl"])]
    res = runner.invoke(
        cli, ["baseline", "predict", "crf", "--model", str(model), "--in", str(data_dir / "test.jsonl"), "--out", str(out)]
    )
    assert res.exit_code != 0 and "is a 'rules' model" in str(res.exception)
