"""The whole chain on three test documents, as a user runs it: prompt -> run (a local server) -> align -> score."""

from __future__ import annotations

import json

from support import run_cli

from ittifaq.evaluate.io.documents import load_corpus
from ittifaq.evaluate.llm.answer import answer_from_document


def test_prompt_run_align_score(server, tmp_path):
    docs = load_corpus("test")[:3]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    perfect = answer_from_document(docs[0])
    second = answer_from_document(docs[1])
    # A hallucinated actor, and a quote paraphrased in words the text does not have.
    second["actors"].append({"text": "سفينة الفضاء الزرقاء", "label": "ORG", "key": "made_up"})
    second["quotes"].append({"content": "كلام لم يرد في النص أبدا ولا يشبه أي جملة فيه", "cue": "قال", "speaker": "made_up",
                             "kind": "indirect", "role": "other"})
    server.route = lambda text: next(d.id for d in docs if d.text in text)
    server.script = {
        docs[0].id: [("reply", json.dumps(perfect, ensure_ascii=False), "stop")],
        docs[1].id: [("status", 429), ("reply", "```json\n" + json.dumps(second, ensure_ascii=False) + "\n```", "stop")],
        docs[2].id: [("reply", json.dumps(perfect, ensure_ascii=False)[:500], "length")],
    }
    prompts, resp, pred = tmp_path / "prompts.jsonl", tmp_path / "resp.jsonl", tmp_path / "pred.jsonl"
    r = run_cli("llm", "prompt", "--gold", str(gold), "-k", "1", "--seed", "7", "--out", str(prompts))
    assert r.returncode == 0, r.stderr
    run = ["llm", "run", str(prompts), "--base-url", server.url, "--model", "canned", "--out", str(resp),
           "--cache", str(tmp_path / "cache"), "--backoff", "0.01", "--concurrency", "2"]
    r = run_cli(*run)
    assert r.returncode == 0, r.stderr
    assert "3 sent" in r.stderr and "1 failed" in r.stderr and "'fence': 1" in r.stderr
    assert len(server.requests) == 4
    raw = (tmp_path / "resp.raw.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(raw) == 3 and json.loads(raw[0])["response"]["usage"]["completion_tokens"] == 20
    first = resp.read_bytes()

    r = run_cli(*run)  # a rerun costs nothing: no request reaches the server
    assert r.returncode == 0 and "0 sent" in r.stderr and "3 from the cache" in r.stderr
    assert len(server.requests) == 4 and resp.read_bytes().replace(b'"cached":true', b'"cached":false') == first

    r = run_cli("align", str(resp), "--gold", str(gold), "--out", str(pred))
    assert r.returncode == 0, r.stderr
    record = json.loads((tmp_path / "pred.alignment.json").read_text(encoding="utf-8"))
    assert record["prompt"] == "v1-en-k1-s7" and record["failed_documents"][0]["id"] == docs[2].id
    assert record["unanchored"]["spans"]["ORG"] == 1 and record["unanchored"]["spans"]["QUOTE"] == 1
    assert {(u["label"], u["reason"]) for u in record["items"]} >= {("ORG", "not_in_text"), ("QUOTE", "not_in_text"),
                                                                     ("speaker", "head_unanchored")}
    assert run_cli("validate", "--predictions", str(pred)).returncode == 0

    r = run_cli("score", "--gold", str(gold), "--pred", str(pred), "--alignment", str(tmp_path / "pred.alignment.json"),
                "--n-boot", "0", "--format", "json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["signature"].endswith("|prompt:v1-en-k1-s7|align:v1")
    assert rep["unanchored"]["total"] == record["unanchored"]["total"] and rep["unanchored"]["failed_documents"] == 1
    anchored, e2e = rep["spans"]["strict"]["micro"], rep["end_to_end"]["spans"]["strict"]["micro"]
    assert e2e["unanchored"] == sum(record["unanchored"]["spans"].values()) and e2e["r"] == anchored["r"]
    assert e2e["p"] < anchored["p"] and e2e["predicted"] == anchored["counts"]["actual"] + e2e["unanchored"]
    table = run_cli("score", "--gold", str(gold), "--pred", str(pred), "--alignment", str(tmp_path / "pred.alignment.json"),
                    "--n-boot", "0")
    assert "end to end" in table.stdout and "prompt:v1-en-k1-s7" in table.stdout
