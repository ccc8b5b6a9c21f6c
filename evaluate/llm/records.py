"""Reading the JSON Lines files of an LLM run (prompts, responses): every line an object, or an
InputError naming file and line."""

from __future__ import annotations

import os
from typing import Any

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import iter_lines


def read_records(path: str | os.PathLike[str], need: tuple[str, ...] = ("id",), what: str = "record") -> list[dict[str, Any]]:
    """The records of one file; each must have the string `id` and the keys in `need`."""
    out = []
    for line in iter_lines(path):
        if line.error:
            raise InputError(f"{line.path}:{line.lineno}: {line.error}")
        rec = line.record
        missing = [k for k in need if k not in rec] + ([] if isinstance(rec.get("id"), str) else ["id"])
        if missing:
            raise InputError(f"{line.path}:{line.lineno}: not a {what} (no {', '.join(dict.fromkeys(missing))})")
        out.append(rec)
    return out
