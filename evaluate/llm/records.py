"""Reading the JSON Lines files of an LLM run (prompts, responses): every line an object of the
expected shape, each document once, or an InputError naming file, line and document."""

from __future__ import annotations

import os
from typing import Any

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import iter_lines

_NAMES = {list: "a list", dict: "an object", str: "a string", type(None): "null"}


def read_records(
    path: str | os.PathLike[str],
    need: tuple[str, ...] = ("id",),
    what: str = "record",
    types: dict[str, tuple[type, ...]] | None = None,
) -> list[dict[str, Any]]:
    """The records of one file; each must have a string `id` met on no earlier line, the keys in
    `need`, and for each key of `types` a value of one of its types."""
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line in iter_lines(path):
        where = f"{line.path}:{line.lineno}"
        if line.error:
            raise InputError(f"{where}: {line.error}")
        rec = line.record
        missing = [k for k in need if k not in rec] + ([] if isinstance(rec.get("id"), str) else ["id"])
        if missing:
            raise InputError(f"{where}: not a {what} (no {', '.join(dict.fromkeys(missing))})")
        doc = rec["id"]
        if doc in seen:
            raise InputError(f"{where}: document {doc} is already on line {seen[doc]}")
        seen[doc] = line.lineno
        for key, allowed in (types or {}).items():
            if not isinstance(rec.get(key), allowed):
                shown = " or ".join(_NAMES.get(t, t.__name__) for t in allowed)
                raise InputError(f"{where}: document {doc}: `{key}` must be {shown}, found {type(rec.get(key)).__name__}")
        out.append(rec)
    if not out:
        raise InputError(f"{path}: no {what} (the file is empty)")
    return out
