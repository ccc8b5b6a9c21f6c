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
    """Bad input that a user must fix; the CLI prints it and exits non-zero.

    `documents` names the documents at fault by side ("gold", "pred"), so that a caller
    that knows the files can say where they are (`locate`).
    """

    def __init__(self, message: str, documents: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.documents = documents or {}


def locate(paths: Iterable[str | os.PathLike[str]], doc_ids: Iterable[str]) -> dict[str, str]:
    """`file:line` of each of `doc_ids` in the JSONL files under `paths` (first occurrence).

    Only the error path calls this: it decodes each line's `id` and skips the rest."""
    import msgspec

    class _Id(msgspec.Struct):
        id: str

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


def _target(path: str | os.PathLike[str]) -> Path:
    """Where writing `path` lands: a symbolic link's target (the link is kept, not replaced);
    a special file (/dev/stdout, a FIFO) by the name given."""
    given = Path(path)
    return given if _special(given) else Path(os.path.realpath(path))


def _special(target: Path) -> bool:
    """An existing non-regular file (/dev/stdout, a FIFO, a device): written in place, since
    renaming a regular file over it would replace the node itself."""
    return target.exists() and not target.is_file() and not target.is_dir()


def _staging(target: Path) -> Path:
    """The hidden sibling a file is written to before it is renamed over `target`."""
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def _unwritable(path: str | os.PathLike[str], exc: OSError) -> InputError:
    return InputError(f"{path}: cannot write ({exc.strerror or exc})")


@contextmanager
def _atomic(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; rename it over `path` only if the block succeeds.

    A failure to write (read-only place, no space) is an InputError naming the path, and
    leaves nothing behind."""
    target = _target(path)
    if _special(target):
        yield target
        return
    tmp = _staging(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def write_outputs(outputs: dict[str, bytes]) -> None:
    """Write several files as one step: all are staged first and renamed into place only
    when every one was written, so a failure (e.g. an unwritable --out) changes none."""
    staged: list[tuple[Path, Path]] = []
    special: list[tuple[Path, bytes]] = []
    try:
        for path, data in outputs.items():
            target = _target(path)
            if _special(target):
                special.append((target, data))
                continue
            tmp = _staging(target)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                staged.append((tmp, target))
                tmp.write_bytes(data)
            except OSError as exc:
                raise _unwritable(path, exc) from None
        for tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _unwritable(target, exc) from None
        for target, data in special:
            try:
                with open(target, "wb") as fh:
                    fh.write(data)
            except OSError as exc:
                raise _unwritable(target, exc) from None
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()


def check_outputs(outputs: Iterable[str | os.PathLike[str] | None], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse an output that is one of the inputs (it would be overwritten) or named twice."""
    seen: dict[Path, str] = {}
    input_files = [Path(p) for p in inputs]
    for out in outputs:
        if out is None:
            continue
        target = _target(out)
        if _special(target):
            continue
        if target in seen:
            raise InputError(f"{out}: given for two outputs ({seen[target]} and this one); give each its own file")
        seen[target] = str(out)
        if target.exists():
            for f in input_files:
                if f.exists() and os.path.samefile(target, f):
                    raise InputError(f"{out}: is the input file {f}; writing there would destroy it")


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
    write_outputs({os.fspath(path): data})
