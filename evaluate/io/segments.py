"""JSONL files as segments (file, first byte, end byte) of whole lines, read in blocks.

How `ittifaq score` splits its input over two processes: each reads its own segments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ittifaq.evaluate.io.errors import Unsure

Segment = tuple[Path, int, "int | None"]



BLOCK_BYTES = 256 << 10


def line_blocks(path: Path, lo: int, hi: int | None) -> Iterator[list[bytes]]:
    """The lines of bytes lo..hi of `path`, a list per block read (without their newlines)."""
    # A line longer than a block is gathered in a bytearray (amortized appends) and joined once when its
    # newline arrives: re-copying `carry + block` per block made one 200 MB line quadratic.
    carry = bytearray()
    with open(path, "rb") as fh:
        fh.seek(lo)
        left = -1 if hi is None else hi - lo
        while left:
            block = fh.read(BLOCK_BYTES if left < 0 else min(BLOCK_BYTES, left))
            if not block:
                break
            left = left - len(block) if left > 0 else left
            # A BOM or a blank line fails to decode later; msgspec would take a CR for white space.
            if b"\r" in block:
                raise Unsure
            last = block.rfind(b"\n")
            if last < 0:
                carry += block
                continue
            if carry:
                carry += block[:last]
                lines = bytes(carry).split(b"\n")
            else:
                lines = block[:last].split(b"\n")
            carry = bytearray(block[last + 1:])
            yield lines
    if carry:
        yield [bytes(carry)]


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
        with open(files[i], "rb") as fh:
            if target > 0:
                fh.seek(target - 1)
                fh.readline()  # to the start of the next line (or stay, if target already is one)
            cuts.append((i, min(fh.tell(), sizes[i])))
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
