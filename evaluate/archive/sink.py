"""Writing one output shard (JSONL or Parquet) so that it appears whole or not at all.

Records are written as they come, so a shard of any size needs memory for one batch; the staging file is
renamed over the target only when the shard is complete (a kill leaves a staging file, which the next run
removes), through `io.atomic`.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson

from ittifaq.evaluate.io.atomic import atomic_stream
from ittifaq.evaluate.schema import ATTRIBUTE_KEYS

FORMATS: tuple[str, ...] = ("jsonl", "parquet")
#: Keys of an output record, in order: the prediction record plus the input's title and date.
OUTPUT_KEYS: tuple[str, ...] = ("id", "title", "date", "text", "text_sha256", "spans", "relations")
ROW_GROUP = 1024


def output_name(shard: Path, root: Path, fmt: str) -> str:
    """Where a shard's output goes inside OUTDIR: its path under the inputs' common folder, with the
    output format's suffix (`2020/01.jsonl.gz` -> `2020/01.parquet`)."""
    from ittifaq.evaluate.archive.shards import shard_suffix

    rel = shard.relative_to(root).as_posix()
    suffix = shard_suffix(shard) or ""
    return rel[: len(rel) - len(suffix)] + "." + fmt


def common_root(shards: list[Path]) -> Path:
    return Path(os.path.commonpath([str(s.parent) for s in shards]))


def parquet_schema() -> Any:
    """The Parquet form of an output record: spans and relations as nested lists of structs."""
    import pyarrow as pa

    attributes = pa.struct([(k, pa.string()) for k in ATTRIBUTE_KEYS])
    span = pa.struct([("id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                      ("label", pa.string()), ("entity", pa.string()), ("attributes", attributes)])
    relation = pa.struct([(k, pa.string()) for k in ("id", "label", "head", "tail")])
    return pa.schema([("id", pa.string()), ("title", pa.string()), ("date", pa.string()), ("text", pa.string()),
                      ("text_sha256", pa.string()), ("spans", pa.list_(span)), ("relations", pa.list_(relation))])


class ShardWriter:
    """`with ShardWriter(path, fmt) as w: w.write(record)`: the file is in place only after a clean exit."""

    def __init__(self, path: str | os.PathLike[str], fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.path, self.fmt, self.count = Path(path), fmt, 0
        self._stack = ExitStack()
        self._pending: list[dict[str, Any]] = []

    def __enter__(self) -> ShardWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self._stack.enter_context(atomic_stream(self.path))
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            self._schema = parquet_schema()
            self._pq = pq.ParquetWriter(self._fh, self._schema, compression="zstd")
        return self

    def write(self, record: dict[str, Any]) -> None:
        self.count += 1
        if self.fmt == "jsonl":
            self._fh.write(orjson.dumps(record) + b"\n")
            return
        self._pending.append(record)
        if len(self._pending) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._pq.write_table(pa.Table.from_pylist(self._pending, schema=self._schema))
            self._pending = []

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self.fmt == "parquet":
                if exc_type is None:
                    self._flush()
                self._pq.close()
        finally:
            self._stack.__exit__(exc_type, exc, tb)


def read_output(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of an output shard (for tests and `ittifaq events`; a shard is one batch of work)."""
    p = Path(path)
    if p.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(p).to_pylist()
    with open(p, "rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]
