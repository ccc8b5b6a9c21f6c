"""A small client of OpenAI-compatible chat completions (vLLM, llama.cpp's server, Ollama, hosted APIs).

Standard library only (`urllib`; no HTTP dependency for a few hundred POSTs): a time-out on every
wait for the server (connecting, each read), and retries with exponential backoff on 429, 5xx,
time-outs and refused connections (a server's `Retry-After` is honoured up to `MAX_WAIT` seconds).
Other 4xx answers are not retried: the request is wrong.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

MAX_WAIT = 60.0


class RequestFailed(Exception):
    """A request that did not get a usable response after its retries."""

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class ChatClient:
    """Where and how to send chat-completion requests."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0
    retries: int = 4
    backoff: float = 1.0

    @property
    def url(self) -> str:
        base = self.base_url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def _post(self, body: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as resp:
            data = resp.read()
        try:
            value = json.loads(data)
        except ValueError:
            raise RequestFailed(f"the server's response is not JSON: {data[:200]!r}") from None
        if not isinstance(value, dict) or not isinstance(value.get("choices"), list) or not value["choices"]:
            raise RequestFailed(f"the server's response has no choices: {data[:200]!r}")
        return value

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The response body and the number of attempts it took; RequestFailed after the last retry."""
        body = json.dumps({"model": self.model, "messages": messages, **params}).encode("utf-8")
        last = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2**attempt
            try:
                return self._post(body), attempt + 1
            except RequestFailed as exc:
                exc.attempts = attempt + 1
                raise
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise RequestFailed(f"HTTP {exc.code}: {exc.read()[:200]!r}", attempt + 1) from None
                last = f"HTTP {exc.code}"
                after = exc.headers.get("Retry-After") if exc.headers else None
                if after and after.replace(".", "", 1).isdigit():
                    wait = min(float(after), MAX_WAIT)
            except TimeoutError as exc:
                last = f"timed out after {self.timeout:g} s ({exc})"
            except urllib.error.URLError as exc:
                last = f"connection failed: {exc.reason}"
            except (ConnectionError, http.client.HTTPException) as exc:
                last = f"connection failed: {exc!r}"
            if attempt < self.retries:
                time.sleep(wait)
        raise RequestFailed(f"{last} (after {self.retries + 1} attempts)", self.retries + 1)
