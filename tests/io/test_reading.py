"""Outputs are written atomically: a failure leaves the old file and no temporary behind."""

from __future__ import annotations

import pytest

from ittifaq.evaluate.io.atomic import write_jsonl_atomic, write_text_atomic


def test_failed_write_keeps_the_old_file(tmp_path):
    out = tmp_path / "deep" / "x.jsonl"
    write_jsonl_atomic(out, [{"a": 1}])

    def records():
        yield {"a": 2}
        raise RuntimeError("generator broke half-way")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(out, records())
    assert out.read_text() == '{"a":1}\n'
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.jsonl"]


def test_text_is_utf8(tmp_path):
    out = tmp_path / "r.md"
    write_text_atomic(out, "اتفاق")
    assert out.read_bytes() == "اتفاق".encode()
