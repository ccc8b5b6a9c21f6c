"""Writing files so that a reader never sees half of one, and an output never overwrites an input."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ittifaq.evaluate.io.errors import InputError


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
    """A new hidden sibling of `target` to write before renaming it over `target`.

    Created by mkstemp (O_CREAT|O_EXCL, unpredictable suffix), so a file or symbolic link
    planted under a guessable name can neither be written through nor redirect the output.
    Its name carries this process's id, so a later run can remove what a killed run left."""
    clean_stale(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp's 0600 would become the output's mode
    return Path(name)


_STAGING = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[^/]+?(?:\.old)?")


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a staging name carries its writer's pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> None:
    """Remove staging files and folders that a killed run left beside `target` (their process is gone)."""
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = _STAGING.fullmatch(entry.name)
        if not m or m.group("name") != target.name or process_alive(int(m.group("pid"))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
        except OSError:
            pass


def open_staged(tmp: Path):
    """Open a staging file for writing without following a link put in its place."""
    return open(os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW), "wb")


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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _staging(target)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_stream(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file written as a stream that appears at `path` whole when the block ends without error
    (for outputs too large to build in memory first), never partly."""
    with _atomic(path) as tmp, open_staged(tmp) as fh:
        yield fh


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
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = _staging(target)
                staged.append((tmp, target))
                with open_staged(tmp) as fh:
                    fh.write(data)
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
    with _atomic(path) as tmp, (open(tmp, "wb") if _special(tmp) else open_staged(tmp)) as fh:
        for rec in records:
            fh.write(orjson.dumps(rec))
            fh.write(b"\n")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Atomic counterpart of Path.write_text for reports and generated files."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Atomic counterpart of Path.write_bytes (plots, binary exports)."""
    write_outputs({os.fspath(path): data})
