"""The rule set, checked column by column over chunks of decoded records: the fast reader's half that vouches.

`validation.check_record` is the rule set and names every fault; this module applies the
same rules to the columns of a chunk of msgspec records at once (each field pulled out in
one C-level pass, value checks over distinct values, span texts compared with the document
text as UTF-32 code arrays, offsets, ids and relation endpoints with NumPy). At the first
doubt it raises `Unsure` and the caller runs the rule set. It may be stricter, never laxer:
`tests/io/test_fast_read.py` checks both readers accept and reject the same records.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from itertools import chain, product, repeat
from operator import attrgetter, eq, is_not
from typing import Any, NamedTuple

import numpy as np

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.columns import (
    ATTR_NAMES,
    LABEL_ID,
    REL_ID,
    UNKNOWN,
    Batch,
    entity_rows,
    number,
    row_key,
    rows_of,
)
from ittifaq.evaluate.io.errors import Unsure
from ittifaq.evaluate.io.structs import EMPTY_ATTRS, UNSET

# Stricter than the validator's patterns on purpose: fullmatch has no "$ before a final newline" case.
_DOC_ID = re.compile(S.DOC_ID_RE)
_ITEM_ID = re.compile(S.ITEM_ID_RE)
_DATE = re.compile(S.DATE_RE)
_SHA = re.compile(S.SHA256_RE)
_NO_ATTRS = (None,) * len(ATTR_NAMES)
_attr_tuple = attrgetter(*ATTR_NAMES)
_label_code = LABEL_ID.get
_GET = {name: attrgetter(name) for name in ("id", "start", "end", "label", "entity", "attributes", "text", "head", "tail")}
#: The document fields whose rules span records (closed value sets are the structs' Literal types).
_DOC_FIELDS = {False: attrgetter("id", "text", "date", "split"), True: attrgetter("id", "text", "date", "split", "text_sha256")}


def _allowed_attr_tuples(label: str, predictions: bool) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Every attribute tuple a span of `label` may carry, with its value codes."""
    choices: list[list[tuple[Any, int]]] = []
    for name in ATTR_NAMES:
        owner, values = S.ATTRIBUTES[name]
        if owner == label:
            choices.append([(v, i) for i, v in enumerate(values)] + ([(None, -1)] if predictions else []))
        else:
            choices.append([(None, -1)])
    return {tuple(v for v, _ in combo): tuple(c for _, c in combo) for combo in product(*choices)}


_ALLOWED_ATTRS = {
    pred: {LABEL_ID[label]: _allowed_attr_tuples(label, pred) for label in S.SPAN_LABELS} | {UNKNOWN: {_NO_ATTRS: (-1,) * len(ATTR_NAMES)}}
    for pred in (False, True)
}
#: Code point -> str.isspace() (the last entry stands for every code point above U+3000).
_IS_SPACE = np.array([chr(c).isspace() for c in range(0x3002)], bool)
_IS_ACTOR = np.zeros(UNKNOWN + 1, bool)
_IS_ACTOR[[LABEL_ID[x] for x in S.ACTOR_LABELS]] = True
_IS_OWNER = np.zeros(UNKNOWN + 1, bool)
_IS_OWNER[[LABEL_ID[owner] for owner, _ in S.ATTRIBUTES.values()]] = True
#: [relation label, head label, tail label] -> allowed (unknown span labels always pass: tolerated).
_PAIR_OK = np.zeros((len(S.RELATION_LABELS), UNKNOWN + 1, UNKNOWN + 1), bool)
for _r, (_heads, _tails) in S.RELATIONS.items():
    for _h in [LABEL_ID[x] for x in _heads] + [UNKNOWN]:
        for _t in [LABEL_ID[x] for x in _tails] + [UNKNOWN]:
            _PAIR_OK[REL_ID[_r], _h, _t] = True


def _need(cond: bool) -> None:
    if not cond:
        raise Unsure


def _no_repeats(key: np.ndarray) -> bool:
    """No value repeats."""
    ks = np.sort(key)
    return not (ks[1:] == ks[:-1]).any()


def _ints(values: tuple[int, ...]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        raise Unsure from None


class _SpanIds(NamedTuple):
    """A chunk's span ids: id -> number, (document - doc0) * len(codes) + number of each span, and
    doc0, the chunk's first document (so that no key of the chunk's spans or relations is negative)."""

    codes: dict[str, int]
    key: np.ndarray
    doc0: int


class CheckedColumns:
    """Columns of the records seen so far; `add` checks one chunk of decoded records and appends it.

    The rules are `validation.check_record`'s, stated column by column: it only vouches (raising
    `Unsure` at the first doubt), never explains."""

    def __init__(self, predictions: bool, allow_unknown: bool) -> None:
        self.predictions = predictions
        self.allow_unknown = allow_unknown
        self.ids: list[str] = []
        self.texts: list[str | None] = []
        self.shas: list[str | None] = []
        self.splits: list[str | None] = []
        self.seen: set[str] = set()
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in ("s_doc", "s_start", "s_end", "s_label", "s_entity", "s_attrs", "r_doc", "r_label", "r_head", "r_tail")}
        self.s_ids: list[str] = []
        self.r_ids: list[str] = []
        self.unknown: dict[int, str] = {}
        self.n_spans = 0

    def _docs(self, records: list[Any], file_split: str | None) -> list[str | None]:
        """Document-level rules; distinct values are checked once per chunk."""
        pred = self.predictions
        cols = list(zip(*map(_DOC_FIELDS[pred], records), strict=True))
        ids, texts, dates, splits = cols[:4]
        _need(all(map(_DOC_ID.fullmatch, ids)))
        before = len(self.seen)
        self.seen.update(ids)
        _need(len(self.seen) == before + len(ids))
        texts = [None if t is UNSET else t for t in texts]
        _need(all(unicodedata.is_normalized("NFC", t) for t in texts if t is not None))
        for date in set(dates) - {None}:
            _need(_DATE.fullmatch(date) is not None)
            try:
                _dt.date.fromisoformat(date)
            except ValueError:
                raise Unsure from None
        if file_split:
            _need(set(splits) <= {None, file_split})
        shas: list[str | None] = [None] * len(ids)
        if pred:
            shas = [None if h is UNSET else h for h in cols[4]]
            _need(all(_SHA.fullmatch(h) is not None for h in shas if h is not None))
        self.ids.extend(ids)
        self.texts.extend(texts)
        self.shas.extend(shas)
        self.splits.extend(splits)
        return texts

    def add(self, records: list[Any], file_split: str | None) -> None:
        if not records:
            return
        first_doc = len(self.ids)
        texts = self._docs(records, file_split)
        span_lists = list(map(attrgetter("spans"), records))
        rel_lists = list(map(attrgetter("relations"), records))
        doc_range = np.arange(first_doc, first_doc + len(records), dtype=np.int64)
        spans = list(chain.from_iterable(span_lists))
        sizes = list(map(len, span_lists))
        s_doc = np.repeat(doc_range, sizes)
        rels = list(chain.from_iterable(rel_lists))
        r_doc = np.repeat(doc_range, list(map(len, rel_lists)))
        label, span_ids = self._spans(spans, s_doc, first_doc, texts)
        self._relations(rels, r_doc, label, span_ids)
        self.n_spans += len(spans)

    def _spans(self, spans: list[Any], s_doc: np.ndarray, d0: int, texts: list[str | None]) -> tuple[np.ndarray, _SpanIds]:
        """Span rules; `d0` is the chunk's first document (documents are numbered from it in keys)."""
        n = len(spans)
        pred = self.predictions
        if n == 0:
            z = np.zeros(0, np.int64)
            for key, arr in (("s_doc", z), ("s_start", z), ("s_end", z), ("s_label", z), ("s_entity", z), ("s_attrs", np.zeros((0, len(ATTR_NAMES)), np.int64))):
                self.parts[key].append(arr)
            return z, _SpanIds({}, z, d0)
        ids = list(map(_GET["id"], spans))
        starts = list(map(_GET["start"], spans))
        ends = list(map(_GET["end"], spans))
        # Span ids: pattern once per distinct id; unique within each document.
        id_codes, id_code = number(ids, n)
        _need(all(map(_ITEM_ID.fullmatch, id_codes)))
        id_key = (s_doc - d0) * len(id_codes) + id_code
        _need(_no_repeats(id_key))
        start, end = _ints(starts), _ints(ends)
        _need(bool((start >= 0).all()) and bool((end > start).all()))
        self._surfaces(spans, start, end, s_doc - d0, texts)
        label = np.fromiter(map(_label_code, map(_GET["label"], spans), repeat(UNKNOWN)), np.int64, n)
        if not pred:  # gold marks a mention once (validator rule duplicate-span)
            _need(_no_repeats(row_key([s_doc, start, end, label])))
        # Attributes: the empty record except on the labels that own them; those are
        # checked once per distinct (label, record) pair.
        records = list(map(_GET["attributes"], spans))
        owner = _IS_OWNER[label]
        empty = np.fromiter(map(eq, records, repeat(EMPTY_ATTRS[pred])), bool, n)
        _need(bool(empty[~owner].all()) and (pred or not empty[owner].any()))
        attrs = np.full((n, len(ATTR_NAMES)), -1, np.int64)
        rows = np.flatnonzero(owner & ~empty)
        if len(rows):
            allowed = _ALLOWED_ATTRS[pred]
            owned = list(map(records.__getitem__, rows.tolist()))
            pairs, pair = number(zip(label[rows].tolist(), owned, strict=True), len(rows))
            codes = []
            for code, record in pairs:
                tup = _attr_tuple(record)
                _need(tup in allowed[code])
                codes.append(allowed[code][tup])
            attrs[rows] = np.array(codes, np.int64)[pair]
        unknown = np.flatnonzero(label == UNKNOWN).tolist()
        if unknown:
            _need(self.allow_unknown)
            for i in unknown:
                self.unknown[self.n_spans + i] = spans[i].label
        # Entities only on actors, and on every gold actor.
        ent_codes, ent_idx = number(map(_GET["entity"], spans), n)
        _need("" not in ent_codes)
        has_entity = ent_idx != ent_codes.get(None, -1)
        actor = _IS_ACTOR[label]
        _need(not (has_entity & ~actor).any())
        if pred:
            entity = np.full(n, -1, np.int64)
        else:
            _need(bool(has_entity[actor].all()))
            entity = entity_rows(s_doc, ent_codes, ent_idx, base=self.n_spans)
            actors = entity >= 0
            if actors.any():
                # One entity, one label: every mention's label equals that of the entity's first mention.
                _need(bool((label[actors] == label[entity[actors] - self.n_spans]).all()))
        p = self.parts
        p["s_doc"].append(s_doc)
        p["s_start"].append(start)
        p["s_end"].append(end)
        p["s_label"].append(label)
        p["s_entity"].append(entity)
        p["s_attrs"].append(attrs)
        self.s_ids.extend(ids)
        return label, _SpanIds(id_codes, id_key, d0)

    def _surfaces(self, spans: list[Any], start: np.ndarray, end: np.ndarray, local_doc: np.ndarray, texts: list[str | None]) -> None:
        """Offsets within the document text, and span texts equal to the text they cover.

        Compared as UTF-32 code arrays, all spans of the chunk at once: no span's
        surface string is ever sliced out."""
        given = list(map(_GET["text"], spans))
        if None in texts or UNSET in given:  # predictions may come without texts
            has_text = np.array([t is not None for t in texts], bool)[local_doc]
            has_given = np.fromiter(map(is_not, given, repeat(UNSET)), bool, len(given)) & has_text
            rows = np.flatnonzero(has_text)
            texts_known = [t if t is not None else "" for t in texts]
            _need(bool((end[rows] <= np.fromiter(map(len, texts_known), np.int64, len(texts))[local_doc[rows]]).all()))
            keep = np.flatnonzero(has_given).tolist()
            if keep:
                self._compare(list(map(given.__getitem__, keep)), start[keep], end[keep], local_doc[keep], texts_known, strip=False)
            return
        self._compare(given, start, end, local_doc, texts, strip=not self.predictions)

    @staticmethod
    def _compare(given: list[str], start: np.ndarray, end: np.ndarray, local_doc: np.ndarray, texts: list[Any], strip: bool) -> None:
        text_len = np.fromiter(map(len, texts), np.int64, len(texts))
        _need(bool((end <= text_len[local_doc]).all()))
        length = end - start
        _need(bool((np.fromiter(map(len, given), np.int64, len(given)) == length).all()))
        text = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
        surface = np.frombuffer("".join(given).encode("utf-32-le", "surrogatepass"), np.uint32)
        text_at = np.concatenate([[0], np.cumsum(text_len)[:-1]])[local_doc] + start  # where each span begins in `text`
        given_at = np.cumsum(length) - length  # where each given span text begins in `surface`
        _need(bool((text[np.repeat(text_at - given_at, length) + np.arange(len(surface))] == surface).all()))
        if strip:  # no white space (as str.strip sees it) at either end
            ends = np.concatenate([surface[given_at], surface[given_at + length - 1]])
            _need(not _IS_SPACE[np.minimum(ends, len(_IS_SPACE) - 1)].any())

    def _relations(self, rels: list[Any], r_doc: np.ndarray, label: np.ndarray, span_ids: _SpanIds) -> None:
        m = len(rels)
        p = self.parts
        if m == 0:
            _need(self.predictions or not (label == LABEL_ID["QUOTE"]).any())
            return
        ids = list(map(_GET["id"], rels))
        heads = list(map(_GET["head"], rels))
        tails = list(map(_GET["tail"], rels))
        rcodes, rcode = number(ids, m)
        _need(all(map(_ITEM_ID.fullmatch, rcodes)))
        d0 = span_ids.doc0
        _need(_no_repeats((r_doc - d0) * len(rcodes) + rcode))
        r_label = np.fromiter(map(REL_ID.__getitem__, map(_GET["label"], rels)), np.int64, m)  # a Literal: known
        _need(not any(map(eq, heads, tails)))
        # Endpoints: span rows of the same document (-1: no such span id there).
        n = len(label)
        k = max(len(span_ids.codes), 1)
        end_code = np.fromiter(map(span_ids.codes.get, heads + tails, repeat(-1)), np.int64, 2 * m)
        _need(bool((end_code >= 0).all()))
        end_doc = np.concatenate([r_doc, r_doc]) - d0
        n_docs = int(max(span_ids.key.max() // k, end_doc.max())) + 1
        both = rows_of(span_ids.key, end_doc * k + end_code, n_docs * k)
        _need(bool((both >= 0).all()))
        head, tail = both[:m], both[m:]
        _need(bool(_PAIR_OK[r_label, label[head], label[tail]].all()))
        _need(_no_repeats((r_label * n + head) * n + tail))
        if not self.predictions:
            quotes = np.flatnonzero(label == LABEL_ID["QUOTE"])
            if len(quotes):
                spoken = np.zeros(n, bool)
                spoken[head[r_label == REL_ID["speaker"]]] = True
                _need(bool(spoken[quotes].all()))
        base = self.n_spans
        p["r_doc"].append(r_doc)
        p["r_label"].append(r_label)
        p["r_head"].append(head + base)
        p["r_tail"].append(tail + base)
        self.r_ids.extend(ids)

    def batch(self) -> Batch:
        def cat(name: str, width: int = 0) -> np.ndarray:
            parts = self.parts[name]
            if parts:
                return np.concatenate(parts)
            return np.zeros((0, width), np.int64) if width else np.zeros(0, np.int64)

        return Batch(
            ids=self.ids,
            texts=self.texts,
            text_sha256=self.shas,
            splits=self.splits,
            s_doc=cat("s_doc"),
            s_start=cat("s_start"),
            s_end=cat("s_end"),
            s_label=cat("s_label"),
            s_entity=cat("s_entity"),
            s_attrs=cat("s_attrs", len(ATTR_NAMES)),
            s_ids=self.s_ids,
            r_doc=cat("r_doc"),
            r_label=cat("r_label"),
            r_head=cat("r_head"),
            r_tail=cat("r_tail"),
            r_ids=self.r_ids,
            unknown_labels=self.unknown,
        )


