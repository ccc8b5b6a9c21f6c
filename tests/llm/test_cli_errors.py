"""Bad inputs to `ittifaq llm run` and `ittifaq align`: one line naming file, line and document, exit 2,
no traceback, and no output file written."""

from __future__ import annotations

import json
import socket

import pytest
from support import run_cli

from ittifaq.evaluate.schema import Document

DOC = Document(id="d1", text="وقعت مصر والأردن اتفاقا للطاقة.", split="test")
ANSWER = {"actors": [{"text": "مصر", "label": "GPE", "key": "eg"}], "agreements": [], "quotes": [], "affiliations": []}


def _lines(path, *records) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
                    encoding="utf-8")
    return str(path)


def _one_error(r, *needles: str) -> None:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr and all(n in lines[0] for n in needles), lines[0]


def _response(doc_id: str = "d1", answer=ANSWER) -> dict:
    return {"id": doc_id, "model": "m", "prompt": {"tag": "v1-en-k0-s1"}, "answer": answer, "status": "ok"}


@pytest.mark.parametrize(("records", "needles"), [
    ([_response(), "[1, 2]"], ["resp.jsonl:2:", "JSON object"]),
    ([_response(answer="مصر")], ["resp.jsonl:1:", "document d1", "`answer` must be an object or null"]),
    ([_response(), _response()], ["resp.jsonl:2:", "document d1 is already on line 1"]),
    ([{"id": "d1", "messages": []}], ["resp.jsonl:1:", "not a response record", "answer"]),
    ([_response("d9")], ["resp.jsonl", "d9", "not in gold"]),
])
def test_align_refuses_a_responses_file_of_the_wrong_shape(tmp_path, records, needles):
    gold = _lines(tmp_path / "gold.jsonl", DOC.to_dict())
    pred = tmp_path / "pred.jsonl"
    r = run_cli("align", _lines(tmp_path / "resp.jsonl", *records), "--gold", gold, "--out", str(pred))
    _one_error(r, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl", "resp.jsonl"]


def test_missing_inputs_and_a_bad_url(tmp_path):
    out = str(tmp_path / "resp.jsonl")
    _one_error(run_cli("align", str(tmp_path / "nowhere.jsonl"), "--out", str(tmp_path / "p.jsonl")), "nowhere.jsonl")
    base = ["--model", "m", "--out", out, "--cache", str(tmp_path / "c")]
    _one_error(run_cli("llm", "run", str(tmp_path / "prompts.jsonl"), "--base-url", "http://localhost:1/v1", *base),
               "prompts.jsonl", "No such file")
    prompts = _lines(tmp_path / "prompts.jsonl", {"id": "d1", "messages": "hello"})
    _one_error(run_cli("llm", "run", prompts, "--base-url", "http://localhost:1/v1", *base),
               "prompts.jsonl:1:", "document d1", "`messages` must be a list")
    _lines(tmp_path / "prompts.jsonl", {"id": "d1", "messages": [{"role": "user", "content": "x"}]})
    _one_error(run_cli("llm", "run", prompts, "--base-url", "localhost:8080", *base), "--base-url", "http://localhost:8080/v1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prompts.jsonl"]


def test_an_unreachable_server_or_a_wrong_url_stops_the_run_before_any_output(tmp_path, server):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prompts = _lines(tmp_path / "prompts.jsonl", *({"id": f"d{i}", "messages": [{"role": "user", "content": str(i)}]}
                                                   for i in range(6)))
    out = tmp_path / "resp.jsonl"
    args = ["--model", "m", "--out", str(out), "--cache", str(tmp_path / "c"), "--retries", "1", "--backoff", "0.01"]
    _one_error(run_cli("llm", "run", prompts, "--base-url", f"http://127.0.0.1:{port}/v1", *args),
               f"http://127.0.0.1:{port}/v1/chat/completions", "connection failed", "nothing written")
    # A server that answers 404 (a wrong path): one request, not one per document.
    server.script = {"default": [("status", 404)]}
    _one_error(run_cli("llm", "run", prompts, "--base-url", server.url, *args), "HTTP 404", "nothing written")
    assert len(server.requests) == 1
    assert not out.exists() and not (tmp_path / "resp.raw.jsonl").exists()
