"""`ittifaq score`, `compare`, `agree` end to end, bad input, and import hygiene."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import orjson
import pytest
from click.testing import CliRunner
from scoring_fixtures import TEXT

from ittifaq.evaluate.cli import cli


def _rec(did, spans, gold=True):
    out = {"id": did, "text": TEXT, "spans": spans, "relations": []}
    if gold:
        out.update(title=None, date=None, genre="wire", region="middle_east", split="test", grounding=[], origin="original",
                   annotators=["tests"])
    return out


def _span(sid, word, label="GPE", entity="E1", gold=True):
    s = TEXT.index(word)
    out = {"id": sid, "start": s, "end": s + len(word), "text": word, "label": label}
    if gold:
        out.update(entity=entity, attributes={"agreement_type": None, "status": None, "quote_kind": None, "source_role": None})
    return out


@pytest.fixture()
def files(tmp_path):
    gold = tmp_path / "test.jsonl"
    gold.write_bytes(orjson.dumps(_rec("d1", [_span("T1", "مصر"), _span("T2", "الأردن", entity="E2")])) + b"\n")
    pred = tmp_path / "pred.jsonl"
    pred.write_bytes(orjson.dumps(_rec("d1", [_span("a", "مصر", gold=False), _span("b", "القاهرة", gold=False)], gold=False)) + b"\n")
    return gold, pred, tmp_path


def test_score_formats_errors_and_out(files):
    gold, pred, tmp = files
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--format", "json", "--n-boot", "50",
                                 "--errors", str(tmp / "err.jsonl"), "--out", str(tmp / "rep.json")])
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp / "rep.json").read_text(encoding="utf-8"))
    assert rep["spans"]["strict"]["micro"]["p"] == 0.5 and rep["spans"]["strict"]["micro"]["r"] == 0.5
    assert rep["signature"].startswith("ittifaq:v") and "|boot:50|" in rep["signature"]
    errs = [json.loads(x) for x in (tmp / "err.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["kind"] for e in errs} == {"missed", "spurious"}
    assert {e.get("gold", e.get("pred"))["text"] for e in errs} == {"الأردن", "القاهرة"}
    for fmt, needle in (("table", "Headline: spans strict micro F1 = 50.00"), ("markdown", "| spans | strict | micro |"), ("csv", "spans,strict,micro")):
        r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--format", fmt, "--n-boot", "0"])
        assert r.exit_code == 0 and needle in r.output, (fmt, r.output)
    # CSV carries what the other views print above the table: headline, document count, warnings.
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--format", "csv", "--n-boot", "20"])
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][0] == "signature" and rows[1][:2] == ["headline spans strict micro F1", "50.00"] and rows[1][2].startswith("[")
    assert ["documents", "1"] in rows and any(row[0] == "warning" for row in rows)
    analyst = [row for row in rows if row[1] == "analyst"]
    assert [row[2] for row in analyst] == ["content_strict", "speaker_entity (recall; CI of R)"] and analyst[1][6] == "-"


def test_compare_and_agree(files):
    gold, pred, _ = files
    r = CliRunner().invoke(cli, ["compare", "--gold", str(gold), "--pred", str(pred), "--pred", str(gold), "--n-boot", "20", "--n-trials", "20"])
    assert r.exit_code == 0, r.output
    assert "spans.strict.micro.f1" in r.output and "p (paired bootstrap)" in r.output
    r = CliRunner().invoke(cli, ["agree", str(gold), str(gold), "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["layers"]["actors"]["strict"]["test->test"]["f1"] == 1.0
    # Every span scheme, as the signature says; the reference named by its file's hash; CIs on request.
    from ittifaq.evaluate.signature import gold_hash, parse_signature

    assert list(rep["layers"]["actors"]) == ["strict", "exact", "partial", "type", "clitic"]
    sig = parse_signature(rep["signature"])
    assert sig["ref"] == gold_hash([gold]) and sig["spans"] == "strict,exact,partial,type,clitic" and sig["boot"] == "1000"
    assert rep["layers"]["actors"]["partial"]["test->test"]["ci"]["f1"] == [1.0, 1.0]
    r = CliRunner().invoke(cli, ["agree", str(gold), str(gold), "--n-boot", "0"])
    assert r.exit_code == 0 and "F1 95% CI" in r.stdout and "boot:0" in r.stdout


def _run(*args):
    return subprocess.run([sys.executable, "-c", "from ittifaq.evaluate.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_bad_input_is_a_clear_error_not_a_traceback(files, tmp_path):
    gold, pred, _ = files
    bad = tmp_path / "bad.jsonl"
    rec = _rec("d1", [_span("a", "مصر", gold=False)], gold=False)
    rec["text"] = TEXT + " زيادة"
    bad.write_bytes(orjson.dumps(rec) + b"\n")
    r = _run("score", "--gold", str(gold), "--pred", str(bad))
    assert r.returncode == 2 and "d1" in r.stderr and "text differs" in r.stderr and "Traceback" not in r.stderr
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(orjson.dumps(_rec("zz", [], gold=False)) + b"\n")
    r = _run("score", "--gold", str(gold), "--pred", str(extra))
    assert r.returncode == 2 and "zz" in r.stderr and "Traceback" not in r.stderr
    r = _run("score", "--gold", str(gold), "--pred", str(extra), "--ignore-extra", "--n-boot", "0")
    assert r.returncode == 0 and "no prediction" in r.stderr


def test_score_does_not_import_heavy_libraries(files):
    gold, pred, _ = files
    code = (
        "import sys\nfrom ittifaq.evaluate.cli import cli\n"
        f"try:\n    cli.main(['score', '--gold', {str(gold)!r}, '--pred', {str(pred)!r}, '--n-boot', '10'], standalone_mode=False)\n"
        "finally:\n    heavy = [m for m in ('datasets', 'sklearn', 'spacy', 'torch', 'pandas') if m in sys.modules]\n"
        "    print('HEAVY', heavy)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout


def test_score_plot_writes_a_png(files):
    pytest.importorskip("ittifaq.evaluate.plots")
    gold, pred, tmp = files
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "20", "--plot", str(tmp / "s.png")])
    assert r.exit_code == 0, r.output
    assert (tmp / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
