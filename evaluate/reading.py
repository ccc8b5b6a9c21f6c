"""Streaming JSONL reading that remembers where every record came from.

Errors found later (validation, scoring) must name file and line, so each record
travels with its origin. Reading is lazy: a 1 GB file is never held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Line:
    """One physical line of a JSONL file, parsed or with the reason it could not be."""

    path: str
    lineno: int
    record: Any = None
    error: str | None = None


class InputError(Exception):
    """Bad input that a user must fix; the CLI prints it and exits non-zero."""


def jsonl_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders (recursively, `*.jsonl`) into a sorted file list."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.jsonl") if q.is_file())
            if not found:
                raise InputError(f"{p}: folder holds no .jsonl file")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def split_of_file(path: str | os.PathLike[str]) -> str | None:
    """The split a file holds by its name (`train.jsonl`, `test.jsonl`…), or None."""
    from ittifaq.evaluate.schema import SPLITS

    stem = Path(path).name.split(".")[0]
    return stem if stem in SPLITS else None


def iter_lines(path: str | os.PathLike[str]) -> Iterator[Line]:
    """Parse one JSONL file line by line; blank lines are reported, not skipped silently."""
    name = str(path)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(BOM):
                yield Line(name, lineno, error="file starts with a UTF-8 byte-order mark (BOM); save as UTF-8 without BOM")
                raw = raw[len(BOM):]
            stripped = raw.strip()
            if not stripped:
                yield Line(name, lineno, error="blank line (a JSONL file holds one JSON object per line)")
                continue
            try:
                record = orjson.loads(stripped)
            except orjson.JSONDecodeError as exc:
                try:
                    stripped.decode("utf-8")
                except UnicodeDecodeError as uexc:
                    yield Line(name, lineno, error=f"not valid UTF-8 ({uexc.reason} at byte {uexc.start})")
                    continue
                yield Line(name, lineno, error=f"invalid JSON: {exc}")
                continue
            if not isinstance(record, dict):
                yield Line(name, lineno, error=f"a record must be a JSON object, found {type(record).__name__}")
                continue
            yield Line(name, lineno, record=record)


def iter_records(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Line]:
    """All lines of all JSONL files under `paths`, in a stable order."""
    for f in jsonl_files(paths):
        yield from iter_lines(f)


@contextmanager
def _atomic(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; rename it over `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_jsonl_atomic(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> None:
    """Write records to a temporary file, then rename: readers never see half a file."""
    with _atomic(path) as tmp, open(tmp, "wb") as fh:
        for rec in records:
            fh.write(orjson.dumps(rec))
            fh.write(b"\n")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Atomic counterpart of Path.write_text for reports and generated files."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Atomic counterpart of Path.write_bytes (plots, binary exports)."""
    with _atomic(path) as tmp:
        tmp.write_bytes(data)
