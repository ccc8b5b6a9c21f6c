"""`llm.run` against a real local HTTP server: repairs, truncation, 429 then success, a time-out, the cache."""

from __future__ import annotations

import json

from ittifaq.evaluate.llm.cache import ResponseCache
from ittifaq.evaluate.llm.client import ChatClient
from ittifaq.evaluate.llm.run import run_prompts

ANSWER = {"actors": [{"text": "مصر", "label": "GPE", "key": "egypt"}], "agreements": [], "quotes": [], "affiliations": []}
GOOD = json.dumps(ANSWER, ensure_ascii=False)


def _prompts(*keys: str) -> list[dict]:
    return [{"id": k, "prompt": {"tag": "v1-en-k0-s1"}, "messages": [{"role": "user", "content": k}]} for k in keys]


def _client(server, **kw) -> ChatClient:
    return ChatClient(server.url, "tiny-model", api_key="secret", **{"timeout": 5.0, "retries": 2, "backoff": 0.01, **kw})


def test_replies_repairs_and_failures(server, tmp_path):
    server.route = lambda text: text
    server.script = {
        "ok": [("reply", GOOD, "stop")],
        "fenced": [("reply", f"Here is the answer:\n```json\n{GOOD}\n```\nDone.", "stop")],
        "commas": [("reply", GOOD[:-1] + ",}", "stop")],
        "broken": [("reply", "{actors: [oops", "stop")],
        "truncated": [("reply", GOOD[:40], "length")],
        "busy": [("status", 429), ("status", 503), ("reply", GOOD, "stop")],
        "down": [("status", 500)],
        "garbage": [("garbage", b"<html>proxy error</html>")],
        "list": [("reply", "[1, 2]", "stop")],
    }
    keys = list(server.script)
    parsed, raw, stats = run_prompts(_prompts(*keys), _client(server), ResponseCache(tmp_path / "c"), {"temperature": 0}, concurrency=3)
    by = {p["id"]: p for p in parsed}
    assert [p["id"] for p in parsed] == keys and [r["id"] for r in raw] == keys
    assert by["ok"]["answer"] == ANSWER and by["ok"]["repairs"] == [] and by["ok"]["usage"] == {"prompt_tokens": 100, "completion_tokens": 20}
    assert by["fenced"]["answer"] == ANSWER and by["fenced"]["repairs"] == ["fence"]
    assert by["commas"]["answer"] == ANSWER and by["commas"]["repairs"] == ["braces", "trailing_commas"]
    assert by["broken"]["status"] == "failed" and "not valid JSON" in by["broken"]["error"]
    assert by["truncated"]["status"] == "failed" and "finish_reason=length" in by["truncated"]["error"]
    assert by["busy"]["answer"] == ANSWER
    assert "HTTP 500" in by["down"]["error"] and "3 attempts" in by["down"]["error"]
    assert "not JSON" in by["garbage"]["error"]
    assert "not an object" in by["list"]["error"]
    assert sum(r["key"] == "busy" for r in server.requests) == 3
    assert sum(r["key"] == "down" for r in server.requests) == 3
    assert {r["auth"] for r in server.requests} == {"Bearer secret"}
    assert {r["path"] for r in server.requests} == {"/v1/chat/completions"}
    assert server.requests[0]["body"]["model"] == "tiny-model" and server.requests[0]["body"]["temperature"] == 0
    assert stats.failed == 5 and stats.attempts == 9 + 2 + 2 and stats.repairs == {"fence": 1, "braces": 1, "trailing_commas": 1}
    assert raw[keys.index("down")]["response"] is None and raw[0]["response"]["choices"][0]["message"]["content"] == GOOD

    # A rerun: every response that arrived comes from the cache; only the failed requests are sent again.
    before = len(server.requests)
    parsed2, _, stats2 = run_prompts(_prompts(*keys), _client(server), ResponseCache(tmp_path / "c"), {"temperature": 0})
    sent = {r["key"] for r in server.requests[before:]}
    assert sent == {"down", "garbage"} and stats2.cached == 7
    assert [p["answer"] for p in parsed2] == [p["answer"] for p in parsed]
    # Other parameters are another cache entry.
    before = len(server.requests)
    run_prompts(_prompts("ok"), _client(server), ResponseCache(tmp_path / "c"), {"temperature": 0.7})
    assert len(server.requests) == before + 1


def test_a_timeout_is_retried_then_recorded(server, tmp_path):
    server.script = {"default": [("sleep", 1.0, GOOD)]}
    parsed, _, stats = run_prompts(_prompts("slow"), _client(server, timeout=0.2, retries=1), ResponseCache(tmp_path), {})
    assert parsed[0]["status"] == "failed" and "timed out" in parsed[0]["error"] and "2 attempts" in parsed[0]["error"]
    assert stats.attempts == 2 and stats.failed == 1
    # Once the server answers in time, the same request succeeds.
    server.script = {"default": [("reply", GOOD, "stop")]}
    parsed, _, _ = run_prompts(_prompts("slow"), _client(server, timeout=2.0), ResponseCache(tmp_path), {})
    assert parsed[0]["answer"] == ANSWER
