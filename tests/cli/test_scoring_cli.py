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
from support import TEXT

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
    # CSV is one table, header first, every row carrying the signature.
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--format", "csv", "--n-boot", "20"])
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:3] == ["section", "scheme", "level"] and rows[0][-1] == "signature"
    assert {len(row) for row in rows} == {len(rows[0])} and all(row[-1].startswith("ittifaq:v") for row in rows[1:])
    analyst = [row for row in rows if row[1] == "analyst"]
    assert [row[2] for row in analyst] == ["content_strict", "content_tokens", "cue", "speaker_entity"]
    import pandas

    assert list(pandas.read_csv(io.StringIO(r.stdout)).columns)[-1] == "signature"


def test_compare_and_agree(files):
    gold, pred, _ = files
    r = CliRunner().invoke(cli, ["compare", "--gold", str(gold), "--pred", str(pred), "--pred", str(gold), "--n-boot", "20", "--n-trials", "20"])
    assert r.exit_code == 0, r.output
    assert "spans.strict.micro.f1" in r.output and "p (paired bootstrap)" in r.output
    r = CliRunner().invoke(cli, ["agree", str(gold), str(gold), "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["layers"]["actors"]["strict"]["1:test->2:test"]["f1"] == 1.0
    # Every span scheme, as the signature says; the reference named by its file's hash; CIs on request.
    from ittifaq.evaluate.scoring.signature import Signature, gold_hash

    assert list(rep["layers"]["actors"]) == ["strict", "exact", "partial", "type", "clitic"]
    sig = Signature.parse(rep["signature"])
    assert sig.reference == "ref" and sig.digest == gold_hash([gold]) and sig.boot == 1000
    assert sig.spans == ("strict", "exact", "partial", "type", "clitic") and str(sig) == rep["signature"]
    assert rep["layers"]["actors"]["partial"]["1:test->2:test"]["ci"]["f1"] == [1.0, 1.0]
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


def test_bad_bytes_and_bad_hashes_name_file_and_line(files, tmp_path):
    gold, pred, _ = files
    bad = tmp_path / "bad_utf8.jsonl"
    bad.write_bytes(pred.read_bytes() + b'{"id": "d2", "spans": [], "relations": [], "title": "\xff"}\n')
    r = _run("score", "--gold", str(gold), "--pred", str(bad))
    assert r.returncode == 2 and f"{bad}:2" in r.stderr and "UTF-8" in r.stderr and "Traceback" not in r.stderr
    sha = tmp_path / "sha.jsonl"
    rec = _rec("d1", [], gold=False)
    rec["text_sha256"] = "0" * 64  # the text matches gold, its hash does not
    sha.write_bytes(orjson.dumps(rec) + b"\n")
    r = _run("score", "--gold", str(gold), "--pred", str(sha))
    assert r.returncode == 2 and "text_sha256" in r.stderr and f"{sha}:1" in r.stderr


def test_outputs_never_destroy_inputs_and_fail_together(files, tmp_path):
    gold, pred, _ = files
    before = gold.read_bytes()
    r = _run("score", "--gold", str(gold), "--pred", str(pred), "--out", str(gold))
    assert r.returncode == 2 and "input file" in r.stderr and gold.read_bytes() == before
    r = _run("score", "--gold", str(gold), "--pred", str(pred), "--out", str(tmp_path / "x"), "--errors", str(tmp_path / "x"))
    assert r.returncode == 2 and "two outputs" in r.stderr
    # An unwritable --out: a clean error, and the --errors file written in the same run is left as it was.
    errors = tmp_path / "errors.jsonl"
    errors.write_text("KNOWN\n", encoding="utf-8")
    blocked = tmp_path / "a_file"
    blocked.write_text("", encoding="utf-8")
    r = _run("score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "0", "--errors", str(errors), "--out", str(blocked / "r.txt"))
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr
    assert errors.read_text(encoding="utf-8") == "KNOWN\n" and not list(tmp_path.glob(".*tmp-*"))
    # A symbolic link is written through (the link stays); a special file is written in place.
    target, link = tmp_path / "report.txt", tmp_path / "link.txt"
    link.symlink_to(target.name)
    r = _run("score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "0", "--out", str(link))
    assert r.returncode == 0 and link.is_symlink() and target.read_text(encoding="utf-8").startswith("Signature: ")
    r = _run("score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "0", "--out", "/dev/stdout")
    assert r.returncode == 0 and r.stdout.startswith("Signature: ")


def test_unknown_label_endpoint_is_read_alike_by_both_readers(files, tmp_path):
    gold, _, _ = files
    rec = _rec("d1", [_span("a", "مصر", gold=False), _span("b", "الأردن", label="LOC", gold=False)], gold=False)
    rec["relations"] = [{"id": "R1", "label": "affiliation", "head": "b", "tail": "a"}]
    lf, crlf = tmp_path / "lf.jsonl", tmp_path / "crlf.jsonl"  # a CR sends the file to the full validator
    lf.write_bytes(orjson.dumps(rec) + b"\n")
    crlf.write_bytes(orjson.dumps(rec) + b"\r\n")
    outs = [_run("score", "--gold", str(gold), "--pred", str(f), "--unknown-labels", "spurious", "--n-boot", "0", "--format", "json") for f in (lf, crlf)]
    assert [o.returncode for o in outs] == [0, 0] and outs[0].stdout == outs[1].stdout
    r = _run("score", "--gold", str(gold), "--pred", str(crlf))
    assert r.returncode == 2 and "--unknown-labels spurious" in r.stderr


def test_agree_needs_the_same_documents(files, tmp_path):
    gold, _, _ = files
    more = tmp_path / "more.jsonl"
    more.write_bytes(gold.read_bytes() + orjson.dumps(_rec("d2", [])) + b"\n")
    r = _run("agree", str(gold), str(more))
    assert r.returncode == 2 and "only in more: d2" in r.stderr and f"{more}:2" in r.stderr and "--ignore-extra" not in r.stderr


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
    pytest.importorskip("ittifaq.evaluate.render.plots")
    gold, pred, tmp = files
    r = CliRunner().invoke(cli, ["score", "--gold", str(gold), "--pred", str(pred), "--n-boot", "20", "--plot", str(tmp / "s.png")])
    assert r.exit_code == 0, r.output
    assert (tmp / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
