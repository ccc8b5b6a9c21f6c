"""Read and count two JSONL inputs on both cores: each process takes half the documents.

Reading and checking the records is most of the time of `ittifaq score`, and
documents are independent: the per-document counts of two halves, one after the
other, are the counts of the whole (every figure, CI and test is computed from
them afterwards). The gold files are cut in two at a line near the middle; the
predictions are cut after as many lines as the first gold half holds, which pairs
the halves when predictions come in gold order (as the baselines and most systems
write them). A forked child reads and counts the second half while this process
does the first; only the count arrays come back (pickled, through an anonymous
in-memory file) between the two processes of this one command.

Anything else (predictions in another order, a prediction file with a different
number of lines, any record the fast reader cannot vouch for, one machine core)
returns None, and the caller takes the ordinary one-process path, which gives the
same report and explains bad input.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import pickle
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ittifaq.evaluate.io.fast_read import read_segments
from ittifaq.evaluate.io.jsonl import jsonl_files
from ittifaq.evaluate.io.segments import Segment, split_lines
from ittifaq.evaluate.scoring.pipeline import Counted, count

#: Below this many bytes of input a second process costs more than it saves.
MIN_PARALLEL_BYTES = 8 << 20


_PR_SET_PDEATHSIG = 1


def _lines_in(segments: list[Segment]) -> int:
    n = 0
    for path, lo, hi in segments:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            end = len(mm) if hi is None else hi
            for at in range(lo, end, 16 << 20):  # in slices: never a copy of the whole file
                n += mm[at : min(at + (16 << 20), end)].count(b"\n")
            if end == len(mm) and end > lo and mm[end - 1 : end] != b"\n":
                n += 1  # a last line without a newline
    return n


def _cut_after_lines(files: list[Path], n_lines: int) -> list[list[Segment]] | None:
    """Two runs of `files`: the first `n_lines` lines and the rest (None if there are fewer)."""
    first: list[Segment] = []
    rest: list[Segment] = []
    left = n_lines
    for path in files:
        size = path.stat().st_size
        if size == 0:
            continue
        if left == 0:
            rest.append((path, 0, size))
            continue
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            pos = 0
            while left and pos < size:
                nl = mm.find(b"\n", pos)
                pos = size if nl < 0 else nl + 1
                left -= 1
        first.append((path, 0, pos))
        if pos < size:
            rest.append((path, pos, size))
    return None if left else [first, rest]


def _count_part(gold: list[Segment], pred: list[Segment], unknown_labels: str, norm: str, collect_errors: bool) -> tuple[Counted, list[str], list[str]] | None:
    g = read_segments(gold, predictions=False)
    p = read_segments(pred, predictions=True, allow_unknown=unknown_labels == "spurious")
    if g is None or p is None or not set(p.ids) <= set(g.ids):
        return None
    counted = count(g, p, unknown_labels=unknown_labels, norm=norm, collect_errors=collect_errors, digest=False)
    return counted, g.ids, p.ids


def _anonymous_file() -> IO[bytes]:
    """A file in memory with no name (`tempfile` costs 10 ms to import; it is the fallback
    where a sandbox refuses memfd_create)."""
    try:
        return os.fdopen(os.memfd_create("ittifaq-part"), "w+b")
    except (AttributeError, OSError):
        import tempfile

        return tempfile.TemporaryFile()


def _fork(fn: Callable[..., Any], *args: Any) -> tuple[int, IO[bytes]]:
    """Run fn(*args) in a forked child; (its pid, the file its pickled result is written to).

    A plain fork: `multiprocessing` cost more to import and to start a pool than this
    needs. The result goes to an anonymous in-memory file (memfd), not a pipe, so the child
    writes it at once and exits while this process is still busy. The child never
    returns into the caller's code: it ends with os._exit, and any failure comes back
    as None.
    """
    out = _anonymous_file()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            die_with_parent(parent)
            try:
                result = fn(*args)
            except Exception:
                result = None
            out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            out.flush()
            status = 0
        finally:
            os._exit(status)
    return pid, out


def die_with_parent(parent: int) -> None:
    """Have Linux kill this forked worker when its parent dies, so a `kill -9` of the command leaves
    no worker running on (prctl PR_SET_PDEATHSIG); if the parent is already gone, exit now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _join(child: tuple[int, IO[bytes]]) -> Any:
    """The result of a `_fork`ed call (None if the child failed)."""
    pid, out = child
    with out:
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        data = out.read()
    if status != 0 or not data:
        return None
    # Our own child's in-memory result, handed over by this one command: nothing read from the user's files.
    return pickle.loads(data)  # noqa: S301


def workers() -> int:
    """How many processes `count_files` may use (ITTIFAQ_WORKERS=1 keeps it to one)."""
    # fork only on Linux: elsewhere (macOS) forking a process that has loaded system libraries is unsafe.
    if os.environ.get("ITTIFAQ_WORKERS") == "1" or not sys.platform.startswith("linux"):
        return 1
    return min(2, os.cpu_count() or 1)


def count_files(
    gold_paths: list[str], pred_paths: list[str], *, unknown_labels: str = "error", norm: str = "none", collect_errors: bool = False
) -> Counted | None:
    """Per-document counts of the two inputs read and matched in two processes, or None.

    None means: use the one-process path (it may also be the faster one, for small inputs).
    """
    gold_files, pred_files = jsonl_files(gold_paths), jsonl_files(pred_paths)
    size = sum(f.stat().st_size for f in [*gold_files, *pred_files])
    if workers() < 2 or size < MIN_PARALLEL_BYTES:
        return None
    g_parts = split_lines(gold_files, 2)
    if not all(g_parts):  # one long line: nothing to share
        return None
    p_parts = _cut_after_lines(pred_files, _lines_in(g_parts[0]))
    if p_parts is None or not all(p_parts):
        return None
    args: tuple[Any, ...] = (unknown_labels, norm, collect_errors)
    child = _fork(_count_part, g_parts[1], p_parts[1], *args)
    try:
        mine = _count_part(g_parts[0], p_parts[0], *args)
    finally:
        theirs = _join(child)
    if mine is None or theirs is None:
        return None
    (c0, g0, p0), (c1, g1, p1) = mine, theirs
    # A document id in both halves (of gold or of predictions) is for the full path to report.
    if set(g0) & set(g1) or set(p0) & set(p1):
        return None
    return Counted.concat([c0, c1])


__all__ = ["MIN_PARALLEL_BYTES", "count_files", "workers"]
