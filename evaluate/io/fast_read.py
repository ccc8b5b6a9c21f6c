"""Read JSONL (or in-memory `Document`s) straight into scorer columns, checking every rule on the way.

`ittifaq score` spent most of its time validating and building half a million `Span`
objects one at a time. This reader decodes each line once with msgspec into the structs
of `io.structs` (structure and closed value sets checked in C) and hands chunks of them to
`io.column_checks`, which applies the rules that span fields column by column. No
`Document` is made.

It only vouches for input; it never explains. When anything is off, or merely unusual,
it returns None and the caller runs the full validator, which names file, line,
document, field and rule (`io.documents.read_columns` is the one reading function that
chooses).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import chain
from operator import attrgetter
from typing import Any

import msgspec

from ittifaq.evaluate.columns import Batch
from ittifaq.evaluate.gc_pause import gc_paused
from ittifaq.evaluate.io.column_checks import CheckedColumns
from ittifaq.evaluate.io.errors import Unsure
from ittifaq.evaluate.io.jsonl import jsonl_files, split_of_file
from ittifaq.evaluate.io.segments import Segment, line_blocks
from ittifaq.evaluate.io.structs import DECODERS, OBJECT_TYPES, UNSET

#: Records checked and flattened together: large enough to amortize each pass, small
#: enough that the decoded records are still in cache (larger chunks were slower).
CHUNK = 32

def read_batch(paths: Iterable[str | os.PathLike[str]], predictions: bool = False, allow_unknown: bool = False) -> Batch | None:
    """Columns of every record under `paths`, or None when the full validator must decide.

    `allow_unknown` lets span labels outside the schema through (as `--unknown-labels
    spurious` does); everything else is checked as `ittifaq validate` would.
    """
    return read_segments([(f, 0, None) for f in jsonl_files(paths)], predictions, allow_unknown)


def read_segments(segments: list[Segment], predictions: bool = False, allow_unknown: bool = False) -> Batch | None:
    """`read_batch` over runs of lines (see `split_lines`); document ids are unique within the call."""
    decode = DECODERS[predictions, predictions and allow_unknown].decode
    acc = CheckedColumns(predictions, allow_unknown)
    try:
        with gc_paused():
            for f, lo, hi in segments:
                file_split = None if predictions else split_of_file(f)
                pending: list[bytes] = []
                for lines in line_blocks(f, lo, hi):
                    pending += lines
                    while len(pending) >= CHUNK:
                        acc.add(list(map(decode, pending[:CHUNK])), file_split)
                        del pending[:CHUNK]
                acc.add(list(map(decode, pending)), file_split)
    except (Unsure, msgspec.DecodeError, msgspec.ValidationError, UnicodeError):  # invalid UTF-8: the validator names the line
        return None
    return acc.batch()


def read_objects(docs: list[Any], predictions: bool = False, allow_unknown: bool = False) -> Batch | None:
    """Columns of `Document` objects given in memory, under the rules `read_batch` applies to
    JSONL, or None when the full validator must decide.

    msgspec reads the objects' attributes into the same typed records decoding makes
    (types and closed value sets checked in C), and the same column checks follow, so
    `score` holds in-memory documents to the rules their JSONL would meet.
    """
    typ = OBJECT_TYPES[predictions, predictions and allow_unknown]
    acc = CheckedColumns(predictions, allow_unknown)
    try:
        with gc_paused():
            for i in range(0, len(docs), CHUNK):
                records = msgspec.convert(docs[i : i + CHUNK], typ, from_attributes=True)
                if predictions:
                    for span in chain.from_iterable(map(attrgetter("spans"), records)):
                        if span.text == "":
                            span.text = UNSET
                acc.add(records, None)
    except (Unsure, msgspec.ValidationError, UnicodeError):
        return None
    return acc.batch()


__all__ = ["CHUNK", "Unsure", "read_batch", "read_objects", "read_segments"]
