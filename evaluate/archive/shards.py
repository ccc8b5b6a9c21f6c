"""Reading archive shards (JSONL, JSONL.gz, Parquet) a batch at a time, screening each record.

A record that cannot be annotated is a `Reject` with its reason, never dropped silently: no text, invalid
UTF-8, a text over the size limit, a bad or repeated id, a line that is not a JSON object; and the unreadable
rest of a damaged shard (a truncated .gz) is one reject, so one bad file does not stop a whole archive.
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import DOC_ID_PATTERN

#: Suffixes of the shards `ittifaq annotate` reads, longest first.
SHARD_SUFFIXES: tuple[str, ...] = (".jsonl.gz", ".jsonl", ".parquet")
#: Fields kept from an input record (others are ignored).
INPUT_FIELDS: tuple[str, ...] = ("id", "title", "text", "date")
#: Default limit on a text's length, in characters (a long feature is ~60 k; beyond is rarely an article).
MAX_CHARS = 200_000
_DOC_ID = re.compile(DOC_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class InputDoc:
    """A record fit to annotate: only the fields the output carries."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record left out, with where it was and why."""

    shard: str
    line: int
    id: str | None
    reason: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"shard": self.shard, "line": self.line, "id": self.id, "reason": self.reason, "detail": self.detail}


def shard_suffix(path: str | os.PathLike[str]) -> str | None:
    name = os.fspath(path)
    return next((s for s in SHARD_SUFFIXES if name.endswith(s)), None)


def expand_inputs(patterns: Iterable[str]) -> list[Path]:
    """The shards named by glob patterns, files or folders (a folder means its shards, recursively), sorted
    and without repeats; a pattern that names no shard is an error, so a typo never annotates nothing."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        hits = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        shards: list[Path] = []
        for hit in map(Path, hits):
            if hit.is_dir():
                shards += sorted(p for p in hit.rglob("*") if p.is_file() and shard_suffix(p))
            elif hit.is_file() and shard_suffix(hit):
                shards.append(hit)
            elif hit.is_file():
                raise InputError(f"{hit}: not a shard (expected {', '.join(SHARD_SUFFIXES)})")
        if not shards:
            raise InputError(f"{pattern}: matches no {', '.join(SHARD_SUFFIXES)} file")
        for s in shards:
            found.setdefault(s.resolve(), None)
    return sorted(found)


def screen(raw: dict[str, Any], shard: str, line: int, max_chars: int, seen: set[str]) -> InputDoc | Reject:
    """An `InputDoc`, or the reason the record cannot be annotated."""
    doc_id = raw.get("id")
    shown = doc_id if isinstance(doc_id, str) and len(doc_id) <= 200 else None

    def reject(reason: str, detail: str) -> Reject:
        return Reject(shard, line, shown, reason, detail)

    if not isinstance(doc_id, str) or not _DOC_ID.match(doc_id):
        return reject("bad id", f"id must be a string matching {DOC_ID_PATTERN}")
    if doc_id in seen:
        return reject("bad id", "duplicate document id in this shard")
    text = raw.get("text")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return reject("invalid UTF-8", f"text: {exc.reason} at byte {exc.start}")
    if not isinstance(text, str) or not text.strip():
        return reject("no text", "text is missing, empty or not a string")
    if len(text) > max_chars:
        return reject("text over size limit", f"{len(text)} characters > {max_chars}")
    meta: dict[str, str | None] = {}
    for key in ("title", "date"):
        value = raw.get(key)
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                return reject("invalid UTF-8", f"{key}: {exc.reason} at byte {exc.start}")
        meta[key] = value if isinstance(value, str) else None if value is None else str(value)
    seen.add(doc_id)
    return InputDoc(doc_id, text, meta["title"], meta["date"])


def _id_of(line: bytes) -> str | None:
    """The id of a line that is not valid UTF-8, read leniently, so that its reject can name it."""
    try:
        doc_id = orjson.loads(line.decode("utf-8", "replace")).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return doc_id if isinstance(doc_id, str) and _DOC_ID.match(doc_id) else None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject | None]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    shard = str(path)
    lineno = 0
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                yield lineno, _parse_line(raw, shard, lineno)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # a truncated or damaged .gz: what was read stands, the rest is one reject
        yield lineno + 1, Reject(shard, lineno + 1, None, "damaged shard", f"unreadable from here on ({exc})")


def _parse_line(raw: bytes, shard: str, lineno: int) -> dict[str, Any] | Reject | None:
    stripped = raw.strip()
    if not stripped:
        return None
    try:
        stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reject(shard, lineno, _id_of(stripped), "invalid UTF-8", f"{exc.reason} at byte {exc.start}")
    try:
        record = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        reason = "invalid UTF-8" if "surrogate" in str(exc) else "not JSON"
        return Reject(shard, lineno, None, reason, str(exc))
    if not isinstance(record, dict):
        return Reject(shard, lineno, None, "not JSON", f"a record must be an object, found {type(record).__name__}")
    return record


def _parquet_rows(path: Path, batch_size: int) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    import pyarrow.parquet as pq

    row = 0
    try:
        pf = pq.ParquetFile(path)
        columns = [c for c in INPUT_FIELDS if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
            # binary columns stay bytes so that `screen` can name invalid UTF-8
            for record in batch.to_pylist():
                row += 1
                yield row, record
    except Exception as exc:  # pyarrow raises its own error types for a damaged file
        yield row + 1, Reject(str(path), row + 1, None, "damaged shard", f"unreadable from here on ({exc})")


def iter_batches(path: str | os.PathLike[str], batch_size: int = 64,
                 max_chars: int = MAX_CHARS) -> Iterator[tuple[list[InputDoc], list[Reject]]]:
    """The shard's records, `batch_size` documents at a time with the rejects met on the way (line numbers
    for JSONL, row numbers from 1 for Parquet). Memory holds one batch (and the shard's ids, to
    catch repeats), whatever the shard's size."""
    p = Path(path)
    rows = _parquet_rows(p, batch_size) if p.name.endswith(".parquet") else _jsonl_rows(p)
    seen: set[str] = set()
    docs: list[InputDoc] = []
    rejects: list[Reject] = []
    for line, item in rows:
        if item is None:
            continue
        got = item if isinstance(item, Reject) else screen(item, str(p), line, max_chars, seen)
        (rejects if isinstance(got, Reject) else docs).append(got)  # type: ignore[arg-type]
        if len(docs) >= batch_size:
            yield docs, rejects
            docs, rejects = [], []
    if docs or rejects:
        yield docs, rejects
