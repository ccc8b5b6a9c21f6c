"""Documents as flat columns: the form the scorer counts on.

Scoring half a million spans one Python object at a time was what made the scorer
slow. A `Batch` holds every span and relation of a list of documents as NumPy
columns (one row per span or relation, with its document index), so matching and
counting are a handful of vectorized passes. A batch is built either from
`Document` objects (the Python API, `from_documents`) or straight from parsed
JSON records (`io/fast_read.py`), without a `Document` ever being made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, count, repeat
from operator import attrgetter
from typing import Any

import numpy as np

from ittifaq.evaluate.schema import ATTRIBUTES, RELATION_LABELS, SPAN_LABELS, Document

#: Code of a span label outside the schema (kept only when unknown labels are allowed).
UNKNOWN = len(SPAN_LABELS)
LABEL_ID: dict[str, int] = {label: i for i, label in enumerate(SPAN_LABELS)}
REL_ID: dict[str, int] = {label: i for i, label in enumerate(RELATION_LABELS)}
ATTR_NAMES: tuple[str, ...] = tuple(ATTRIBUTES)
#: attribute name -> value -> code (codes follow the schema's order).
ATTR_CODES: dict[str, dict[str, int]] = {name: {v: i for i, v in enumerate(values)} for name, (_, values) in ATTRIBUTES.items()}
#: attribute column -> code of the span label that owns it.
ATTR_OWNER: tuple[int, ...] = tuple(LABEL_ID[ATTRIBUTES[name][0]] for name in ATTR_NAMES)


def _i64(values: list[int] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)


@dataclass(slots=True)
class Batch:
    """The spans and relations of `len(ids)` documents as columns.

    Span rows are in document order, then in the order given; relation heads and
    tails are span rows of the same batch. `entity` codes are unique per (document,
    entity id) pair, -1 where a span has none; `attrs` holds attribute value codes,
    -1 where unset.
    """

    ids: list[str]
    texts: list[str | None]
    text_sha256: list[str | None]
    splits: list[str | None]
    s_doc: np.ndarray
    s_start: np.ndarray
    s_end: np.ndarray
    s_label: np.ndarray
    s_entity: np.ndarray
    s_attrs: np.ndarray
    s_ids: list[str]
    r_doc: np.ndarray
    r_label: np.ndarray
    r_head: np.ndarray
    r_tail: np.ndarray
    r_ids: list[str]
    unknown_labels: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


def sort_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort order of `key` (non-empty) and, over sorted positions, where each run of
    equal keys starts. Sort-based grouping: NumPy's hash-based `unique(return_inverse=True)`
    and `isin` were several times slower on these arrays."""
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.empty(len(key), bool)
    first[0] = True
    np.not_equal(ks[1:], ks[:-1], out=first[1:])
    return order, first


def _combine(cols: list[np.ndarray]) -> np.ndarray | None:
    """One int64 key per row, equal iff every column is equal; None when it could overflow."""
    key: np.ndarray | None = None
    bound = 1
    for c in cols:
        c = np.asarray(c, np.int64)
        lo, hi = int(c.min()), int(c.max())
        width = hi - lo + 1
        bound *= width
        if bound >= 1 << 62:
            return None
        key = c - lo if key is None else key * width + (c - lo)
    return key


def row_key(cols: list[np.ndarray]) -> np.ndarray:
    """One non-negative int64 key per row (cols non-empty), equal iff every column is equal."""
    key = _combine(cols)
    if key is not None:
        return key
    order = np.lexsort(cols[::-1])
    new = np.zeros(len(order), bool)
    new[0] = True
    for c in cols:
        cs = c[order]
        new[1:] |= cs[1:] != cs[:-1]
    out = np.empty(len(order), np.int64)
    out[order] = np.cumsum(new) - 1
    return out


def dense_rank(key: np.ndarray) -> np.ndarray:
    """0..k-1 by sorted value: equal keys get equal ranks."""
    if len(key) == 0:
        return np.zeros(0, np.int64)
    order, first = sort_groups(key)
    out = np.empty(len(key), np.int64)
    out[order] = np.cumsum(first) - 1
    return out


def first_rows(key: np.ndarray) -> np.ndarray:
    """For each row, the first row with the same key (keys >= 0): a canonical code that
    does not depend on how the rows were read (in chunks or all at once)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, np.int64)
    top = int(key.max()) + 1
    if top <= 8 * n + (1 << 20):
        # Small key range: a lookup table holding the smallest row of each key.
        table = np.full(top, n, np.int64)
        np.minimum.at(table, key, np.arange(n, dtype=np.int64))
        return table[key]
    order, first = sort_groups(key)
    out = np.empty(n, np.int64)
    out[order] = order[first][np.cumsum(first) - 1]
    return out


def number(values: Iterable[Any], n: int) -> tuple[dict[Any, int], np.ndarray]:
    """Number the `n` values' distinct values in order of first appearance: (value -> number,
    each value's number).

    One C-level pass (`dict.setdefault` hands back the position of a value's first
    occurrence); ids, labels and attribute records repeat a lot, so every check on them
    can then run once per distinct value."""
    seen: dict[Any, int] = {}
    first = np.fromiter(map(seen.setdefault, values, count()), np.int64, n)
    rank = np.empty(n, np.int64)
    rank[np.fromiter(seen.values(), np.int64, len(seen))] = np.arange(len(seen), dtype=np.int64)
    return dict(zip(seen, count())), rank[first]


def entity_rows(doc: np.ndarray, codes: dict[Any, int], code: np.ndarray, base: int = 0) -> np.ndarray:
    """Code each (document, entity) pair by the row of its first mention (plus `base`); -1 for
    spans without an entity (None or ""). `codes`, `code`: the entity ids `number`ed."""
    if len(code) == 0:
        return np.zeros(0, np.int64)
    out = first_rows((doc - doc[0]) * len(codes) + code) + base
    for none in (None, ""):
        if none in codes:
            out[code == codes[none]] = -1
    return out


def code_entities(doc: np.ndarray, entities: list[str | None], base: int = 0) -> np.ndarray:
    """`entity_rows` of a list of entity ids."""
    codes, code = number(entities, len(entities))
    return entity_rows(doc, codes, code, base)


def rows_of(span_key: np.ndarray, end_key: np.ndarray, n_keys: int) -> np.ndarray:
    """Row of `span_key` holding each `end_key` (keys in 0..n_keys-1), -1 where none does; the
    first row wins among repeated keys. A dense table when it is small, else binary search."""
    n = len(span_key)
    if n == 0:
        return np.full(len(end_key), -1, np.int64)
    if n_keys <= 8 * n + (1 << 20):
        table = np.full(n_keys, n, np.int64)
        np.minimum.at(table, span_key, np.arange(n, dtype=np.int64))
        found = table[end_key]
        return np.where(found < n, found, -1)
    order = np.argsort(span_key, kind="stable")
    keys = span_key[order]
    pos = np.minimum(np.searchsorted(keys, end_key, "left"), n - 1)
    return np.where(keys[pos] == end_key, order[pos], -1)


def resolve(s_doc: np.ndarray, s_ids: list[str], r_doc: np.ndarray, ends: list[str]) -> np.ndarray:
    """Span row of each relation end (`ends` are span ids; -1 where no span of that document has the id).

    Ids are numbered once through a dict; (document, id number) keys are then looked up
    by `rows_of`, so there is no per-document dictionary. With a repeated span id
    (invalid input) the first span carrying it is used.
    """
    m = len(ends)
    if m == 0:
        return np.zeros(0, np.int64)
    if len(s_ids) == 0:
        return np.full(m, -1, np.int64)
    codes, s_code = number(s_ids, len(s_ids))
    k = len(codes)
    # Document numbers from 0 within the call: a chunk late in a file gets a small table too.
    d0 = int(min(s_doc[0], r_doc.min()))
    end_code = np.fromiter(map(codes.get, ends, repeat(-1)), np.int64, m)
    n_docs = int(max(s_doc[-1], r_doc.max())) - d0 + 1
    found = rows_of((s_doc - d0) * k + s_code, (r_doc - d0) * k + np.maximum(end_code, 0), n_docs * k)
    return np.where(end_code >= 0, found, -1)


#: Documents turned into columns together: few enough that their span objects stay in
#: cache through the passes over each field (the whole corpus at once was ~20 % slower;
#: much smaller chunks pay more per chunk than they save).
DOC_CHUNK = 256


def from_documents(docs: list[Document], gold: bool) -> Batch:
    """Columns of `docs`; entity ids are kept only for gold (predicted ones are not scored)."""
    if len(docs) <= DOC_CHUNK:
        return _from_chunk(docs, gold)
    return concat_batches([_from_chunk(docs[i : i + DOC_CHUNK], gold) for i in range(0, len(docs), DOC_CHUNK)])


def concat_batches(parts: list[Batch]) -> Batch:
    """One batch of the documents of `parts`, in order (rows renumbered)."""
    doc_at = np.cumsum([0] + [len(b) for b in parts])
    row_at = np.cumsum([0] + [len(b.s_doc) for b in parts])

    def cat(name: str, shift: np.ndarray | None = None) -> np.ndarray:
        arrays = [getattr(b, name) for b in parts]
        if shift is not None:
            arrays = [a + int(k) for a, k in zip(arrays, shift, strict=False)]
        return np.concatenate(arrays)

    entity = np.concatenate([np.where(b.s_entity >= 0, b.s_entity + int(k), -1) for b, k in zip(parts, row_at, strict=False)])
    return Batch(
        ids=[i for b in parts for i in b.ids],
        texts=[t for b in parts for t in b.texts],
        text_sha256=[h for b in parts for h in b.text_sha256],
        splits=[x for b in parts for x in b.splits],
        s_doc=cat("s_doc", doc_at),
        s_start=cat("s_start"),
        s_end=cat("s_end"),
        s_label=cat("s_label"),
        s_entity=entity,
        s_attrs=cat("s_attrs"),
        s_ids=[i for b in parts for i in b.s_ids],
        r_doc=cat("r_doc", doc_at),
        r_label=cat("r_label"),
        r_head=cat("r_head", row_at),
        r_tail=cat("r_tail", row_at),
        r_ids=[i for b in parts for i in b.r_ids],
        unknown_labels={row + int(k): lab for b, k in zip(parts, row_at, strict=False) for row, lab in b.unknown_labels.items()},
    )


def _from_chunk(docs: list[Document], gold: bool) -> Batch:
    sizes = [len(d.spans) for d in docs]
    flat = list(chain.from_iterable(map(attrgetter("spans"), docs)))
    n = len(flat)
    s_doc = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
    # map(attrgetter) runs in C: one pass per field over all span objects.
    start = np.fromiter(map(attrgetter("start"), flat), np.int64, n)
    end = np.fromiter(map(attrgetter("end"), flat), np.int64, n)
    labels = list(map(attrgetter("label"), flat))
    label = np.fromiter(map(LABEL_ID.get, labels, repeat(UNKNOWN, n)), np.int64, n)
    unknown = {int(i): labels[i] for i in np.flatnonzero(label == UNKNOWN).tolist()}
    entity = code_entities(s_doc, list(map(attrgetter("entity"), flat))) if gold else np.full(n, -1, np.int64)
    attrs = np.full((n, len(ATTR_NAMES)), -1, np.int64)
    for owner in sorted(set(ATTR_OWNER)):
        rows = np.flatnonzero(label == owner)
        if len(rows) == 0:
            continue
        objs = list(map(attrgetter("attributes"), map(flat.__getitem__, rows.tolist())))
        for j, name in enumerate(ATTR_NAMES):
            if ATTR_OWNER[j] == owner:
                values = map(attrgetter(name), objs)
                attrs[rows, j] = np.fromiter(map(ATTR_CODES[name].get, values, repeat(-1)), np.int64, len(rows))
    s_ids = list(map(attrgetter("id"), flat))

    rsizes = [len(d.relations) for d in docs]
    rels = list(chain.from_iterable(map(attrgetter("relations"), docs)))
    m = len(rels)
    r_doc = np.repeat(np.arange(len(docs), dtype=np.int64), rsizes)
    r_labels = list(map(attrgetter("label"), rels))
    r_label = np.fromiter(map(REL_ID.get, r_labels, repeat(-1, m)), np.int64, m)
    if (r_label < 0).any():
        i = int(np.flatnonzero(r_label < 0)[0])
        raise ValueError(f"document {docs[int(r_doc[i])].id!r}: relation {rels[i].id!r} has label {r_labels[i]!r}, not in the schema")
    heads = list(map(attrgetter("head"), rels))
    tails = list(map(attrgetter("tail"), rels))
    both = resolve(s_doc, s_ids, np.concatenate([r_doc, r_doc]), heads + tails)
    head, tail = both[:m], both[m:]
    bad = np.flatnonzero((head < 0) | (tail < 0))
    if len(bad):
        i = int(bad[0])
        missing = heads[i] if head[i] < 0 else tails[i]
        raise ValueError(f"document {docs[int(r_doc[i])].id!r}: relation {rels[i].id!r} points to unknown span {missing!r}")
    return Batch(
        ids=[d.id for d in docs],
        texts=[d.text for d in docs],
        text_sha256=[d.text_sha256 for d in docs],
        splits=[d.split for d in docs],
        s_doc=s_doc,
        s_start=start,
        s_end=end,
        s_label=label,
        s_entity=entity,
        s_attrs=attrs,
        s_ids=s_ids,
        r_doc=r_doc,
        r_label=r_label,
        r_head=head,
        r_tail=tail,
        r_ids=list(map(attrgetter("id"), rels)),
        unknown_labels=unknown,
    )


def _reorder(items: list[str], order: np.ndarray, identity: bool) -> list[str]:
    return items if identity else list(map(items.__getitem__, order.tolist()))


def take_docs(batch: Batch, new_doc: np.ndarray, n_docs: int, ids: list[str], texts: list[str | None]) -> Batch:
    """Re-index documents: `new_doc[i]` is the new index of document i, -1 to drop it with its rows.

    Rows come out in new document order (stably), so that `slice_docs` can cut the result.
    """
    n = len(batch.s_doc)
    s_new = new_doc[batch.s_doc] if n else batch.s_doc
    kept = np.flatnonzero(s_new >= 0)
    order = kept[np.argsort(s_new[kept], kind="stable")]
    same = len(order) == n and bool((order == np.arange(n)).all())
    new_pos = np.full(n, -1, np.int64)
    new_pos[order] = np.arange(len(order), dtype=np.int64)
    r_new = new_doc[batch.r_doc] if len(batch.r_doc) else batch.r_doc
    rkept = np.flatnonzero(r_new >= 0)
    rorder = rkept[np.argsort(r_new[rkept], kind="stable")]
    rsame = len(rorder) == len(batch.r_doc) and bool((rorder == np.arange(len(rorder))).all())
    return Batch(
        ids=list(ids),
        texts=list(texts),
        text_sha256=[None] * n_docs,
        splits=[None] * n_docs,
        s_doc=s_new[order],
        s_start=batch.s_start[order],
        s_end=batch.s_end[order],
        s_label=batch.s_label[order],
        s_entity=batch.s_entity[order],
        s_attrs=batch.s_attrs[order],
        s_ids=_reorder(batch.s_ids, order, same),
        r_doc=r_new[rorder],
        r_label=batch.r_label[rorder],
        r_head=new_pos[batch.r_head[rorder]],
        r_tail=new_pos[batch.r_tail[rorder]],
        r_ids=_reorder(batch.r_ids, rorder, rsame),
        unknown_labels={int(new_pos[o]): lab for o, lab in batch.unknown_labels.items() if new_pos[o] >= 0},
    )


def slice_docs(batch: Batch, lo: int, hi: int) -> Batch:
    """Documents lo..hi-1 of a batch whose rows are in document order (as built here)."""
    s_lo, s_hi = np.searchsorted(batch.s_doc, [lo, hi])
    r_lo, r_hi = np.searchsorted(batch.r_doc, [lo, hi])
    s_lo, s_hi, r_lo, r_hi = int(s_lo), int(s_hi), int(r_lo), int(r_hi)
    return Batch(
        ids=batch.ids[lo:hi],
        texts=batch.texts[lo:hi],
        text_sha256=batch.text_sha256[lo:hi],
        splits=batch.splits[lo:hi],
        s_doc=batch.s_doc[s_lo:s_hi] - lo,
        s_start=batch.s_start[s_lo:s_hi],
        s_end=batch.s_end[s_lo:s_hi],
        s_label=batch.s_label[s_lo:s_hi],
        s_entity=batch.s_entity[s_lo:s_hi],
        s_attrs=batch.s_attrs[s_lo:s_hi],
        s_ids=batch.s_ids[s_lo:s_hi],
        r_doc=batch.r_doc[r_lo:r_hi] - lo,
        r_label=batch.r_label[r_lo:r_hi],
        r_head=batch.r_head[r_lo:r_hi] - s_lo,
        r_tail=batch.r_tail[r_lo:r_hi] - s_lo,
        r_ids=batch.r_ids[r_lo:r_hi],
        unknown_labels={r - s_lo: lab for r, lab in batch.unknown_labels.items() if s_lo <= r < s_hi},
    )


__all__ = ["ATTR_NAMES", "Batch", "LABEL_ID", "REL_ID", "UNKNOWN", "code_entities", "concat_batches", "dense_rank", "entity_rows", "first_rows", "from_documents", "number", "resolve", "rows_of", "slice_docs", "sort_groups", "take_docs"]
