"""An on-disk cache of chat-completion responses, so a run resumes after a crash and a rerun is free.

A response is stored under the SHA-256 of the model name, the prompt's hash and the request
parameters (never the API key or the URL, so a run moved from one server of a model to another
is still found); one JSON file per response, written atomically as soon as it arrives.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ittifaq.evaluate.io.atomic import write_bytes_atomic


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def prompt_hash(messages: list[dict[str, Any]]) -> str:
    """SHA-256 of the chat messages (canonical JSON)."""
    return hashlib.sha256(_canonical(messages)).hexdigest()


def cache_key(model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """The key of one request: model, prompt hash and parameters."""
    return hashlib.sha256(_canonical({"model": model, "prompt": prompt_hash(messages), "params": params})).hexdigest()


def default_dir() -> Path:
    """`$XDG_CACHE_HOME/ittifaq/llm` (or `~/.cache/ittifaq/llm`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ittifaq" / "llm"


class ResponseCache:
    """Responses by key under `root` (`root/ab/abcd….json`)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response body, or None (also for an unreadable entry, which is then fetched again)."""
        try:
            value = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, response: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, _canonical(response))
