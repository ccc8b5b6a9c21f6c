"""JSONL files as segments (file, first byte, end byte) of whole lines, read in blocks.

How `ittifaq score` splits its input over two processes: each reads its own segments.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ittifaq.evaluate.io.errors import Unsure

Segment = tuple[Path, int, "int | None"]

#: Bytes handed over at a time; whole lines are split out of each block. Small enough that the lines are
#: still in cache when they are decoded (8 MiB blocks were slower).
BLOCK_BYTES = 256 << 10


def line_blocks(path: Path, lo: int, hi: int | None) -> Iterator[list[bytes]]:
    """The lines of bytes lo..hi of `path`, a list per block (without their newlines).

    A line longer than a block is read whole with one `read` once its end is known (found with `find` in
    the mapped file), so one 200 MB line costs one copy: gathering it block by block cost more than decoding
    it. A file that cannot be mapped (a pipe) gathers such a line in a bytearray."""
    with open(path, "rb") as fh:
        try:
            mm: mmap.mmap | None = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty, or not a regular file
            mm = None
        try:
            yield from _lines(fh, mm, lo, hi)
        finally:
            if mm is not None:
                mm.close()


def _lines(fh: BinaryIO, mm: mmap.mmap | None, lo: int, hi: int | None) -> Iterator[list[bytes]]:
    end = hi if hi is not None else (len(mm) if mm is not None else None)
    pos = lo  # where `carry`, the start of a line not yet ended, begins in the file
    carry = b""
    if lo:
        fh.seek(lo)
    while True:
        read_to = pos + len(carry)
        block = fh.read(BLOCK_BYTES if end is None else max(0, min(BLOCK_BYTES, end - read_to)))
        if not block:
            if carry:
                yield [_no_cr(carry)]
            return
        last = block.rfind(b"\n")
        if last < 0:  # a line longer than a block
            line, rest = _long_line(fh, mm, pos, carry + block, end)
            yield [_no_cr(line)]
            pos += len(line) + 1
            cut = rest.rfind(b"\n")  # a pipe: lines read past the long one
            if cut >= 0:
                yield _no_cr(rest[:cut]).split(b"\n")
                pos, rest = pos + cut + 1, rest[cut + 1 :]
            carry = rest
            continue
        chunk = carry + block[:last]
        yield _no_cr(chunk).split(b"\n")
        pos, carry = pos + len(chunk) + 1, block[last + 1 :]


def _no_cr(chunk: bytes) -> bytes:
    # A BOM or a blank line fails to decode later; msgspec would take a CR for white space.
    if b"\r" in chunk:
        raise Unsure
    return chunk


def _long_line(fh: BinaryIO, mm: mmap.mmap | None, pos: int, head: bytes, end: int | None) -> tuple[bytes, bytes]:
    """The line that starts at `pos` (its first bytes are `head`), without its newline; and the bytes
    read after its newline. The file is left at the end of what was read."""
    if mm is not None:
        nl = mm.find(b"\n", pos + len(head), end)
        stop = (end if nl < 0 else nl) or 0
        fh.seek(pos)
        line = fh.read(stop - pos)
        fh.seek(stop + 1)
        return line, b""
    gathered = bytearray(head)
    while True:
        block = fh.read(BLOCK_BYTES if end is None else max(0, min(BLOCK_BYTES, end - pos - len(gathered))))
        nl = block.find(b"\n")
        if nl >= 0 or not block:
            gathered += block if nl < 0 else block[:nl]
            return bytes(gathered), block[nl + 1 :] if nl >= 0 else b""
        gathered += block


def _next_line_start(path: Path, offset: int, size: int) -> int:
    """The first line start at or after `offset` (found in the mapped file: no long line is read)."""
    if offset <= 0 or size == 0:
        return 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        nl = mm.find(b"\n", offset - 1)
    return size if nl < 0 else min(nl + 1, size)


def split_lines(files: list[Path], parts: int) -> list[list[Segment]]:
    """Cut the concatenated files into `parts` runs of whole lines of about equal size."""
    sizes = [f.stat().st_size for f in files]
    total = sum(sizes)
    cuts: list[tuple[int, int]] = []  # (file index, byte offset at a line start)
    for k in range(1, parts):
        target = total * k // parts
        i = 0
        while i < len(files) - 1 and target >= sizes[i]:
            target -= sizes[i]
            i += 1
        cuts.append((i, _next_line_start(files[i], target, sizes[i])))
    bounds = [(0, 0), *cuts, (len(files) - 1, sizes[-1] if files else 0)]
    out: list[list[Segment]] = []
    for (fa, oa), (fb, ob) in zip(bounds[:-1], bounds[1:], strict=True):
        part: list[Segment] = []
        for i in range(fa, fb + 1):
            lo = oa if i == fa else 0
            hi = ob if i == fb else sizes[i]
            if hi > lo:
                part.append((files[i], lo, hi))
        out.append(part)
    return out
