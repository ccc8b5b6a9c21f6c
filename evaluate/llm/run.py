"""Sending a split's prompts: bounded concurrency, the cache first, and two records per document.

The parsed record (`responses.jsonl`) holds the answer or the failure, the repair steps and the
token counts; the raw record (`responses.raw.jsonl`, beside it) holds the server's whole response
body. A response enters the cache the moment it arrives, so a killed run loses nothing it paid for.

A run whose endpoint fails as a whole (`RequestFailed.endpoint`: unreachable, or a wrong key or URL)
stops: the first request to send goes alone, and once one fails so, no further request starts;
`run_prompts` then raises `EndpointFailed` and nothing is written (what arrived is in the cache).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ittifaq.evaluate.llm.cache import ResponseCache, cache_key, endpoint, prompt_hash
from ittifaq.evaluate.llm.client import ChatClient, RequestFailed
from ittifaq.evaluate.llm.parse import parse_reply


class EndpointFailed(Exception):
    """The endpoint failed for every request (unreachable, or a wrong key or URL); nothing to write."""


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


def _fetch(client: ChatClient, cache: ResponseCache, prompt: dict[str, Any], params: dict[str, Any],
           stop: threading.Event | None = None) -> dict[str, Any]:
    key = cache_key(client.model, prompt["messages"], params, client.base_url)
    body, cached, attempts, error, fatal = cache.get(key), True, 0, None, False
    if body is None and stop is not None and stop.is_set():
        return {"key": key, "body": None, "cached": False, "attempts": 0, "error": "not sent", "fatal": True}
    if body is None:
        cached = False
        try:
            body, attempts = client.complete(prompt["messages"], params)
            cache.put(key, body)
        except RequestFailed as exc:
            body, error, attempts, fatal = None, str(exc), exc.attempts, exc.endpoint
            if fatal and stop is not None:
                stop.set()
    return {"key": key, "body": body, "cached": cached, "attempts": attempts, "error": error, "fatal": fatal}


def _records(prompt: dict[str, Any], client: ChatClient, params: dict[str, Any], got: dict[str, Any]) -> tuple[dict, dict]:
    model = client.model
    body = got["body"]
    usage = (body or {}).get("usage") or {}
    usage = {k: usage[k] for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), int)}
    raw = {"id": prompt["id"], "cache_key": got["key"], "cached": got["cached"],
           "request": {"endpoint": endpoint(client.base_url), "model": model, "params": params, "prompt_sha256": prompt_hash(prompt["messages"])},
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
    """Parsed and raw records in the prompts' order, and the run's statistics; EndpointFailed if the
    endpoint itself failed (see the module docstring)."""
    stats = RunStats(documents=len(prompts))
    stop = threading.Event()

    def one(prompt: dict[str, Any]) -> dict[str, Any]:
        got = _fetch(client, cache, prompt, params, stop)
        if progress:
            progress()
        return got

    first = next((i for i, p in enumerate(prompts)
                  if cache.get(cache_key(client.model, p["messages"], params, client.base_url)) is None), len(prompts))
    fetched = [one(p) for p in prompts[:first + 1]]
    if not stop.is_set():
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            fetched += list(pool.map(one, prompts[first + 1:]))
    if stop.is_set():
        failed = next(f for f in fetched if f["fatal"] and f["error"] != "not sent")
        arrived = sum(f["body"] is not None and not f["cached"] for f in fetched)
        raise EndpointFailed(f"{client.url}: {failed['error']}; nothing written"
                             + (f" ({arrived} new response(s) are in the cache: rerun to resume)" if arrived else ""))
    parsed_all, raw_all = [], []
    for prompt, got in zip(prompts, fetched, strict=True):
        parsed, raw = _records(prompt, client, params, got)
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
