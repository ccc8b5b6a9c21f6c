"""Sending a split's prompts: bounded concurrency, the cache first, and two records per document.

The parsed record (`responses.jsonl`) holds the answer or the failure, the repair steps and the
token counts; the raw record (`responses.raw.jsonl`, beside it) holds the server's whole response
body. A response enters the cache the moment it arrives, so a killed run loses nothing it paid for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ittifaq.evaluate.llm.cache import ResponseCache, cache_key, prompt_hash
from ittifaq.evaluate.llm.client import ChatClient, RequestFailed
from ittifaq.evaluate.llm.parse import parse_reply


@dataclass
class RunStats:
    """What a run did: requests sent, cache hits, failures, repairs, tokens (new and cached)."""

    documents: int = 0
    requests: int = 0
    attempts: int = 0
    cached: int = 0
    failed: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    tokens: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "requests": self.requests, "attempts": self.attempts, "cached": self.cached,
                "failed": self.failed, "repairs": dict(self.repairs), "tokens": dict(self.tokens)}


def _fetch(client: ChatClient, cache: ResponseCache, prompt: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    key = cache_key(client.model, prompt["messages"], params)
    body, cached, attempts, error = cache.get(key), True, 0, None
    if body is None:
        cached = False
        try:
            body, attempts = client.complete(prompt["messages"], params)
            cache.put(key, body)
        except RequestFailed as exc:
            body, error, attempts = None, str(exc), exc.attempts
    return {"key": key, "body": body, "cached": cached, "attempts": attempts, "error": error}


def _records(prompt: dict[str, Any], model: str, params: dict[str, Any], got: dict[str, Any]) -> tuple[dict, dict]:
    body = got["body"]
    usage = (body or {}).get("usage") or {}
    usage = {k: usage[k] for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), int)}
    raw = {"id": prompt["id"], "cache_key": got["key"], "cached": got["cached"],
           "request": {"model": model, "params": params, "prompt_sha256": prompt_hash(prompt["messages"])},
           "response": body, "error": got["error"]}
    parsed: dict[str, Any] = {"id": prompt["id"], "model": model, "prompt": prompt.get("prompt"), "cached": got["cached"],
                              "usage": usage, "repairs": [], "answer": None, "error": got["error"]}
    if body is not None:
        choice = body["choices"][0] if isinstance(body["choices"][0], dict) else {}
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        result = parse_reply(message.get("content"), choice.get("finish_reason"))
        parsed.update(answer=result.answer, repairs=result.repairs, error=result.error)
    parsed["status"] = "ok" if parsed["answer"] is not None else "failed"
    return parsed, raw


def run_prompts(
    prompts: list[dict[str, Any]],
    client: ChatClient,
    cache: ResponseCache,
    params: dict[str, Any],
    concurrency: int = 4,
    progress: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], RunStats]:
    """Parsed and raw records in the prompts' order, and the run's statistics."""
    stats = RunStats(documents=len(prompts))

    def one(prompt: dict[str, Any]) -> dict[str, Any]:
        got = _fetch(client, cache, prompt, params)
        if progress:
            progress()
        return got

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        fetched = list(pool.map(one, prompts))
    parsed_all, raw_all = [], []
    for prompt, got in zip(prompts, fetched, strict=True):
        parsed, raw = _records(prompt, client.model, params, got)
        parsed_all.append(parsed)
        raw_all.append(raw)
        stats.cached += got["cached"]
        stats.requests += not got["cached"]
        stats.attempts += got["attempts"]
        stats.failed += parsed["status"] == "failed"
        stats.repairs.update(parsed["repairs"])
        for k, v in parsed["usage"].items():
            stats.tokens[f"{k}{'_cached' if got['cached'] else ''}"] += v
    return parsed_all, raw_all, stats
