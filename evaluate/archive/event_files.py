"""`ittifaq events`: read gold or predicted documents (JSONL files, annotate's Parquet or JSONL shards, or
an annotate OUTDIR) one record at a time and write the agreement and quote tables (CSV or Parquet)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ittifaq.evaluate.archive.events import AGREEMENT_COLUMNS, QUOTE_COLUMNS, agreement_rows, quote_rows
from ittifaq.evaluate.archive.manifest import MANIFEST
from ittifaq.evaluate.io.atomic import atomic_stream
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import iter_lines, jsonl_files
from ittifaq.evaluate.io.validation import check_record
from ittifaq.evaluate.schema import Document

TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")
_INTS = ("start", "end")


def document_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files `paths` name: files as given; an annotate OUTDIR, the finished shards its manifest lists
    (never its rejects); another folder, its .jsonl files, as everywhere in ittifaq (`io.jsonl.jsonl_files`)."""
    files: list[Path] = []
    for given in map(Path, paths):
        if given.is_file():
            files.append(given)
        elif (given / MANIFEST).is_file():
            import json

            shards = json.loads((given / MANIFEST).read_text(encoding="utf-8")).get("shards") or {}
            files += [given / name for name in sorted(shards)]
        else:
            files += jsonl_files([given])
    if not files:
        raise InputError(f"no .jsonl or .parquet file in {', '.join(map(str, paths))}")
    return files


def _checked(record: dict[str, Any], path: str, line: int) -> Document:
    problems = check_record(record, path, line, predictions=True)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the input:\n" + "\n".join(str(p) for p in problems[:20]))
    return Document.from_dict(record)


def iter_documents(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    """Documents one at a time, each checked by the rule set (as gold or prediction records)."""
    for f in document_files(paths):
        if f.suffix == ".parquet":
            import pyarrow.parquet as pq

            row = 0
            for batch in pq.ParquetFile(f).iter_batches(batch_size=256):
                for record in batch.to_pylist():
                    row += 1
                    yield _checked(record, str(f), row)
            continue
        for ln in iter_lines(f):
            if ln.error is not None or ln.record is None:
                raise InputError(f"{ln.path}:{ln.lineno}: {ln.error}")
            yield _checked(ln.record, ln.path, ln.lineno)


class TableWriter:
    """Rows into a CSV (UTF-8, header first) or Parquet file that appears only when complete."""

    def __init__(self, stack: ExitStack, path: Path, columns: tuple[str, ...], fmt: str) -> None:
        self.columns, self.fmt, self.count = columns, fmt, 0
        self._fh = stack.enter_context(atomic_stream(path))
        self._rows: list[dict[str, Any]] = []
        if fmt == "csv":
            self._text = io.TextIOWrapper(self._fh, encoding="utf-8", newline="", write_through=True)
            self._csv = csv.DictWriter(self._text, fieldnames=columns)
            self._csv.writeheader()
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            self._schema = pa.schema([(c, pa.int64() if c in _INTS else pa.string()) for c in columns])
            self._pq = pq.ParquetWriter(self._fh, self._schema)

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.fmt == "csv":
            self._csv.writerow(row)
            return
        self._rows.append(row)
        if len(self._rows) >= 4096:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.fmt == "parquet" and self._rows:
            self._pq.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        if self.fmt == "csv":
            self._text.flush()
            self._text.detach()
        else:
            self.flush()
            self._pq.close()


def write_event_tables(paths: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                       fmt: str = "csv") -> tuple[Path, int, Path, int]:
    """`OUT/agreements.FMT` and `OUT/quotes.FMT`; returns each path with its row count. On an error
    neither file is replaced."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder (`ittifaq events` writes agreements and quotes there)")
    out.mkdir(parents=True, exist_ok=True)
    agreements_path, quotes_path = out / f"agreements.{fmt}", out / f"quotes.{fmt}"
    with ExitStack() as stack:
        agreements = TableWriter(stack, agreements_path, AGREEMENT_COLUMNS, fmt)
        quotes = TableWriter(stack, quotes_path, QUOTE_COLUMNS, fmt)
        for doc in iter_documents(paths):
            for row in agreement_rows(doc):
                agreements.write(row)
            for row in quote_rows(doc):
                quotes.write(row)
        agreements.close()
        quotes.close()
    return agreements_path, agreements.count, quotes_path, quotes.count
