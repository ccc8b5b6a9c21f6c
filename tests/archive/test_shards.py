"""Reading archive shards: JSONL, JSONL.gz and Parquet in batches; every unusable record rejected with its reason."""

from __future__ import annotations

import gzip

import orjson
import pytest

from ittifaq.evaluate.archive.shards import expand_inputs, iter_batches
from ittifaq.evaluate.archive.sink import ShardWriter, output_name, read_output
from ittifaq.evaluate.io.errors import InputError

#: Written for these tests: "The two ministers signed a trade agreement in the capital on Monday."
ARABIC = "وقع الوزيران اتفاقية تجارية في العاصمة يوم الاثنين."


def _line(rec: object) -> bytes:
    return orjson.dumps(rec) + b"\n"


def test_rejects_name_the_line_the_id_and_the_reason(tmp_path):
    shard = tmp_path / "a.jsonl"
    shard.write_bytes(
        _line({"id": "ok-1", "text": ARABIC, "date": "2021-03-04", "title": "عنوان"})
        + _line({"id": "empty-1", "text": "  "})
        + _line({"id": "none-1"})
        + b'{"id": "utf-1", "text": "\xd9\x88\xff"}\n'
        + b'{"id": "sur-1", "text": "\\ud800"}\n'
        + _line({"id": "long-1", "text": ARABIC * 10})
        + _line({"id": "Bad Id", "text": ARABIC})
        + _line({"id": "ok-1", "text": ARABIC})
        + b"[1, 2]\n"
        + b"{not json\n"
        + _line({"id": "ok-2", "text": ARABIC, "date": None})
    )
    batches = list(iter_batches(shard, batch_size=64, max_chars=len(ARABIC) * 2))
    docs = [d for b, _ in batches for d in b]
    rejects = [r.to_dict() for _, rs in batches for r in rs]
    assert [(d.id, d.title, d.date) for d in docs] == [("ok-1", "عنوان", "2021-03-04"), ("ok-2", None, None)]
    assert [(r["line"], r["id"], r["reason"]) for r in rejects] == [
        (2, "empty-1", "no text"), (3, "none-1", "no text"), (4, "utf-1", "invalid UTF-8"), (5, None, "invalid UTF-8"),
        (6, "long-1", "text over size limit"), (7, "Bad Id", "bad id"), (8, "ok-1", "bad id"), (9, None, "not JSON"),
        (10, None, "not JSON"),
    ]
    assert all(r["shard"] == str(shard) and r["detail"] for r in rejects)
    assert "duplicate" in rejects[6]["detail"]


def test_gzip_and_parquet_shards_read_in_bounded_batches(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"id": f"d{i}", "text": f"{ARABIC} {i}", "date": "2020-01-01", "extra": i} for i in range(10)]
    with gzip.open(tmp_path / "a.jsonl.gz", "wb") as fh:
        fh.write(b"".join(_line(r) for r in rows))
    pq.write_table(pa.Table.from_pylist(rows + [{"id": "d10", "text": None, "date": None, "extra": 0}]), tmp_path / "b.parquet")
    for name in ("a.jsonl.gz", "b.parquet"):
        batches = list(iter_batches(tmp_path / name, batch_size=4))
        assert [len(b) for b, _ in batches] == [4, 4, 2]
        assert [d.id for b, _ in batches for d in b] == [f"d{i}" for i in range(10)]
    assert [r.reason for r in batches[-1][1]] == ["no text"] and batches[-1][1][0].line == 11


def test_inputs_expand_globs_and_folders_and_refuse_a_pattern_that_matches_nothing(tmp_path):
    (tmp_path / "x" / "y").mkdir(parents=True)
    for name in ("x/1.jsonl", "x/y/2.jsonl.gz", "x/3.parquet", "x/notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in expand_inputs([str(tmp_path / "x")])] == ["1.jsonl", "3.parquet", "2.jsonl.gz"]
    assert [p.name for p in expand_inputs([str(tmp_path / "x" / "*.jsonl"), str(tmp_path / "x" / "1.jsonl")])] == ["1.jsonl"]
    with pytest.raises(InputError, match="matches no"):
        expand_inputs([str(tmp_path / "nothing-*.jsonl")])
    with pytest.raises(InputError, match="not a shard"):
        expand_inputs([str(tmp_path / "x" / "notes.txt")])
    assert output_name(tmp_path / "x" / "y" / "2.jsonl.gz", tmp_path / "x", "parquet") == "y/2.parquet"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_shard_appears_whole_or_not_at_all(tmp_path, fmt):
    rec = {"id": "d1", "title": None, "date": "2020-01-01", "text": ARABIC, "text_sha256": "0" * 64,
           "spans": [{"id": "T1", "start": 0, "end": 3, "text": ARABIC[:3], "label": "PER", "entity": "E1",
                      "attributes": {"agreement_type": None, "status": None, "quote_kind": None, "source_role": None}}],
           "relations": []}
    target = tmp_path / f"out.{fmt}"
    with pytest.raises(RuntimeError), ShardWriter(target, fmt) as w:
        w.write(rec)
        raise RuntimeError("killed")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with ShardWriter(target, fmt) as w:
        w.write(rec)
    assert read_output(target) == [rec]


def test_a_truncated_gzip_shard_keeps_what_was_read_and_rejects_the_rest(tmp_path):
    body = b"".join(_line({"id": f"d{i}", "text": f"{ARABIC} {i}"}) for i in range(2000))
    whole = gzip.compress(body)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    batches = list(iter_batches(tmp_path / "cut.jsonl.gz", batch_size=500))
    docs = [d.id for b, _ in batches for d in b]
    rejects = [r for _, rs in batches for r in rs]
    assert 0 < len(docs) < 2000 and docs == [f"d{i}" for i in range(len(docs))]
    assert [r.reason for r in rejects] == ["damaged shard"] and rejects[0].line == len(docs) + 1
