"""From a model's reply to an answer object, by documented and counted repair steps only.

A reply that is not valid JSON is tried again after each step, in this order, and the steps that
were needed are recorded with the answer (and counted by `ittifaq llm run`):

1. ``fence``: the content of the first fenced block (```json … ```), which chat models add;
2. ``braces``: the text from the first ``{`` to the last ``}`` (prose before or after the JSON);
3. ``trailing_commas``: a comma right before ``}`` or ``]`` removed.

Nothing else is repaired: a reply cut off by the token limit (``finish_reason: length``) or
otherwise broken is a failure for that document, never completed by guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
_TRAILING = re.compile(r",(\s*[}\]])")


def _fence(s: str) -> str | None:
    m = _FENCE.search(s)
    return m.group(1) if m else None


def _braces(s: str) -> str | None:
    i, j = s.find("{"), s.rfind("}")
    return s[i:j + 1] if 0 <= i < j else None


def _trailing_commas(s: str) -> str | None:
    fixed = _TRAILING.sub(r"\1", s)
    return fixed if fixed != s else None


#: The repair steps, in the order they are tried.
REPAIRS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("fence", _fence), ("braces", _braces), ("trailing_commas", _trailing_commas),
)


@dataclass
class Parsed:
    """An answer object (or None) with the repair steps it needed and, on failure, why."""

    answer: dict[str, Any] | None
    repairs: list[str] = field(default_factory=list)
    error: str | None = None


def _load(s: str) -> tuple[Any, str | None]:
    try:
        return json.loads(s), None
    except ValueError as exc:
        return None, str(exc)


def parse_reply(content: str | None, finish_reason: str | None = None) -> Parsed:
    """The answer in a reply's content; steps of `REPAIRS` are applied cumulatively, each only if needed."""
    if not isinstance(content, str) or not content.strip():
        return Parsed(None, error="empty reply")
    text, repairs = content.strip(), []
    value, err = _load(text)
    for name, step in REPAIRS:
        if err is None:
            break
        fixed = step(text)
        if fixed is None:
            continue
        text = fixed.strip()
        repairs.append(name)
        value, err = _load(text)
    if err is not None:
        if finish_reason == "length":
            return Parsed(None, repairs, "truncated: the reply hit the token limit (finish_reason=length)")
        return Parsed(None, repairs, f"not valid JSON after repairs: {err}")
    if not isinstance(value, dict):
        return Parsed(None, repairs, f"the reply is JSON but not an object ({type(value).__name__})")
    return Parsed(value, repairs)
