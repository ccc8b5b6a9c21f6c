"""Streaming JSONL reading that remembers where every record came from.

Errors found later (validation, scoring) must name file and line, so each record
travels with its origin. Reading is lazy: a 1 GB file is never held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import SPLITS

BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Line:
    """One physical line of a JSONL file, parsed or with the reason it could not be."""

    path: str
    lineno: int
    record: Any = None
    error: str | None = None


class _Id(msgspec.Struct):
    id: str


def locate(paths: Iterable[str | os.PathLike[str]], doc_ids: Iterable[str]) -> dict[str, str]:
    """`file:line` of each of `doc_ids` in the JSONL files under `paths` (first occurrence).

    Only the error path calls this: it decodes each line's `id` and skips the rest."""
    wanted = set(doc_ids)
    found: dict[str, str] = {}
    decode = msgspec.json.Decoder(_Id).decode
    for f in jsonl_files(paths):
        with open(f, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    doc_id = decode(raw).id
                except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError):
                    continue
                if doc_id in wanted and doc_id not in found:
                    found[doc_id] = f"{f}:{lineno}"
                    if len(found) == len(wanted):
                        return found
    return found


def with_locations(exc: InputError, files: dict[str, Iterable[str | os.PathLike[str]]]) -> InputError:
    """`exc` with the file:line of the documents it names appended (files: side -> paths)."""
    lines = []
    for side, ids in exc.documents.items():
        if side not in files or not ids:
            continue
        where = locate(files[side], ids[:20])
        name = {"gold": "gold", "pred": "prediction"}.get(side, side.replace("pred:", "prediction of ", 1))
        lines += [f"  {name} {doc_id!r}: {where[doc_id]}" for doc_id in ids[:20] if doc_id in where]
    if not lines:
        return exc
    return InputError(f"{exc}\n" + "\n".join(lines), exc.documents)


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
        elif p.exists():
            # A pipe (`<(cmd)`, a FIFO) or a device can be read only once, and the readers map or re-read files.
            raise InputError(f"{p}: is a pipe or a device, not a regular file; write its content to a file and give that")
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def split_of_file(path: str | os.PathLike[str]) -> str | None:
    """The split a file holds by its name (`train.jsonl`, `test.jsonl`…), or None."""
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
