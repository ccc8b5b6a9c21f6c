"""`line_blocks` gives the lines of a segment exactly as `bytes.split` would, whatever the block size,
for files (long lines found in the mapped file) and pipes (long lines gathered)."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from ittifaq.evaluate.io import segments
from ittifaq.evaluate.io.errors import Unsure


def _expected(data: bytes, lo: int, hi: int | None) -> list[bytes] | str:
    seg = data[lo:hi]
    if b"\r" in seg:
        return "unsure"
    if not seg:
        return []
    return seg.removesuffix(b"\n").split(b"\n")


def _lines(path: Path, lo: int, hi: int | None) -> list[bytes] | str:
    try:
        return [line for block in segments.line_blocks(path, lo, hi) for line in block]
    except Unsure:
        return "unsure"


@pytest.mark.parametrize("seed", range(4))
def test_lines_of_random_segments_with_tiny_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "f.jsonl"
    for _ in range(400):
        monkeypatch.setattr(segments, "BLOCK_BYTES", rng.choice([1, 2, 3, 5, 16]))
        data = bytes(rng.choice(b"ab\n\n\nxyz") for _ in range(rng.randint(0, 60))) + (b"\r" if rng.random() < 0.05 else b"")
        path.write_bytes(data)
        starts = sorted({0, *(i + 1 for i, c in enumerate(data) if c == 10)})
        lo = min(rng.choice(starts), len(data))
        hi = rng.choice([s for s in starts if s >= lo] + [None])
        assert _lines(path, lo, hi) == _expected(data, lo, hi), (data, lo, hi)


def test_a_pipe_with_lines_longer_than_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "BLOCK_BYTES", 4)
    data = b"a\n" + b"x" * 50 + b"\nb\ncc\n" + b"y" * 9
    r, w = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(w, data), os.close(w)))
    writer.start()
    try:
        got = _lines(Path(f"/proc/self/fd/{r}"), 0, None)
    finally:
        writer.join()
        os.close(r)
    assert got == _expected(data, 0, None)
