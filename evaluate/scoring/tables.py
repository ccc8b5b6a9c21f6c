"""Spans and relations of all documents as deduplicated flat tables (what matching works on)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ittifaq.evaluate.columns import UNKNOWN, Batch, first_rows, row_key
from ittifaq.evaluate.schema import SPAN_LABELS


@dataclass(slots=True)
class SpanTable:
    """Deduplicated spans of all documents as flat arrays."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    entity: np.ndarray  # gold cluster code; -1 when none
    attrs: np.ndarray  # [n, len(ATTR_NAMES)] value codes; -1 when None
    ids: list[str]  # the span id of each row (first of its duplicates)
    canon: np.ndarray  # batch row -> row of this table (duplicates share one)
    n_duplicates: np.ndarray  # per document
    unknown: dict[int, str]  # row -> label, for labels outside the schema

    def __len__(self) -> int:
        return len(self.doc)

    def label_name(self, row: int) -> str:
        code = int(self.label[row])
        return SPAN_LABELS[code] if code < UNKNOWN else self.unknown.get(row, "<unknown>")


@dataclass(slots=True)
class RelTable:
    doc: np.ndarray
    label: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    ids: list[str]
    n_duplicates: np.ndarray



def _dedupe(cols: list[np.ndarray], prefer: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(index of each row's canonical row, mask of canonical rows): rows equal on all cols collapse.

    The canonical row of a group is the one with the smallest `prefer` values (the first
    among equals), so which duplicate is kept, with its attributes, never depends on the
    order of the input."""
    n = len(cols[0])
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    key = row_key(cols)
    canon = first_rows(key)
    keep = canon == np.arange(n)
    if prefer is None or keep.all():
        return canon, keep
    order = np.lexsort([*reversed(prefer), key])  # by key, then the preferred columns (stable: then row)
    ks = key[order]
    first = np.ones(n, bool)
    first[1:] = ks[1:] != ks[:-1]
    canon = np.empty(n, np.int64)
    canon[order] = order[first][np.cumsum(first) - 1]
    return canon, canon == np.arange(n)


def span_table(batch: Batch, allow_unknown: bool = False) -> SpanTable:
    """Deduplicate the spans of `batch` (same span = same doc, offsets and label)."""
    if batch.unknown_labels and not allow_unknown:
        i = min(batch.unknown_labels)
        raise ValueError(
            f"document {batch.ids[int(batch.s_doc[i])]!r}: span {batch.s_ids[i]!r} has label {batch.unknown_labels[i]!r}, not in the schema"
        )
    n = len(batch.s_doc)
    cols = [batch.s_doc, batch.s_start, batch.s_end, batch.s_label]
    canon, keep = _dedupe(cols)
    if not keep.all():
        # Of duplicates, keep the smallest attributes, then the smallest id: which one is kept
        # (and named in the error records) never depends on input order.
        id_rank = np.empty(n, np.int64)
        id_rank[sorted(range(n), key=batch.s_ids.__getitem__)] = np.arange(n, dtype=np.int64)
        canon, keep = _dedupe(cols, prefer=[*batch.s_attrs.T, id_rank])
    n_docs = len(batch)
    if n == 0 or keep.all():
        return SpanTable(batch.s_doc, batch.s_start, batch.s_end, batch.s_label, batch.s_entity, batch.s_attrs,
                         batch.s_ids, canon, np.zeros(n_docs, np.int64), dict(batch.unknown_labels))
    # Rows renumbered to the kept ones; every id (even a duplicate's) maps to its canonical row.
    new_index = np.cumsum(keep) - 1
    kept = np.flatnonzero(keep)
    return SpanTable(
        doc=batch.s_doc[keep],
        start=batch.s_start[keep],
        end=batch.s_end[keep],
        label=batch.s_label[keep],
        entity=batch.s_entity[keep],
        attrs=batch.s_attrs[keep],
        ids=[batch.s_ids[i] for i in kept.tolist()],
        canon=new_index[canon],
        n_duplicates=np.bincount(batch.s_doc[~keep], minlength=n_docs),
        unknown={int(new_index[r]): lab for r, lab in batch.unknown_labels.items() if keep[r]},
    )


def rel_table(batch: Batch, spans: SpanTable) -> RelTable:
    """Relations onto span rows; the same (label, head, tail) after span dedup counts once."""
    n_docs = len(batch)
    if len(batch.r_doc) == 0:
        z = np.zeros(0, np.int64)
        return RelTable(z, z, z, z, [], np.zeros(n_docs, np.int64))
    head, tail = spans.canon[batch.r_head], spans.canon[batch.r_tail]
    _, keep = _dedupe([batch.r_doc, batch.r_label, head, tail])
    if keep.all():
        return RelTable(batch.r_doc, batch.r_label, head, tail, batch.r_ids, np.zeros(n_docs, np.int64))
    dup = np.bincount(batch.r_doc[~keep], minlength=n_docs)
    return RelTable(batch.r_doc[keep], batch.r_label[keep], head[keep], tail[keep], [batch.r_ids[i] for i in np.flatnonzero(keep).tolist()], dup)



def gold_digest(gold: Batch) -> str:
    """SHA-256 of the gold content (ids, texts, spans, entities, attributes, relations), for
    signatures of gold given in memory rather than as a file."""
    digest = hashlib.sha256()
    digest.update("\x00".join(gold.ids).encode("utf-8"))
    digest.update("\x00".join(t or "" for t in gold.texts).encode("utf-8"))
    for arr in (gold.s_doc, gold.s_start, gold.s_end, gold.s_label, gold.s_entity, gold.s_attrs, gold.r_doc, gold.r_label, gold.r_head, gold.r_tail):
        digest.update(np.ascontiguousarray(arr, np.int64).tobytes())
    return digest.hexdigest()
