"""Read JSONL straight into scorer columns, checking every validation rule on the way.

`ittifaq score` spent most of its time validating and building half a million
`Span` objects one at a time. This reader decodes each line once with msgspec into
typed structs, which checks the structure in C (required and unknown keys, types,
integers that are really integers), then checks the rules of
`validation.check_record` column by column: each field of a chunk of spans is
pulled out in one C-level pass, value checks run over the *distinct* values (span
labels, attribute tuples, id strings repeat a lot), and offsets, text slices, ids
and relation endpoints are checked with NumPy. No `Document` is made.

It only vouches for input; it never explains. When anything is off, or merely
unusual (a carriage return, an id with a trailing newline), `read_batch` returns
None and the caller runs the full validator, which names file, line, document,
field and rule. So this reader may be stricter than the validator but never laxer:
`tests/test_fast_read.py` checks that every record it accepts the validator accepts
too, and that its columns equal those built from validated `Document` objects.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import unicodedata
from collections.abc import Iterable
from itertools import chain, product, repeat
from operator import attrgetter, eq, getitem, is_not
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.columns import ATTR_NAMES, LABEL_ID, REL_ID, UNKNOWN, Batch, code_entities, resolve
from ittifaq.evaluate.reading import BOM, jsonl_files, split_of_file

#: Records checked and flattened together: large enough to amortize each pass, small
#: enough that the decoded records are still in cache (larger chunks were slower).
CHUNK = 32

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class Unsure(Exception):
    """The fast path cannot vouch for the input; the full validator must look at it."""


# -- typed records: structure is checked by msgspec while decoding ------------------------

class _GoldAttrs(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    agreement_type: str | None
    status: str | None
    quote_kind: str | None
    source_role: str | None


class _PredAttrs(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    agreement_type: str | None = None
    status: str | None = None
    quote_kind: str | None = None
    source_role: str | None = None


class _GoldSpan(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    start: int
    end: int
    text: str
    label: str
    entity: str | None
    attributes: _GoldAttrs


class _PredSpan(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    start: int
    end: int
    label: str
    text: str | Unset = UNSET
    entity: str | None = None
    attributes: _PredAttrs | Unset = UNSET


class _Rel(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    label: str
    head: str
    tail: str


class _GoldDoc(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    title: str | None
    text: str
    date: str | None
    genre: str | None
    region: str | None
    split: str | None
    grounding: list[str]
    origin: str | None
    annotators: list[str]
    spans: list[_GoldSpan]
    relations: list[_Rel]


class _PredDoc(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    spans: list[_PredSpan]
    relations: list[_Rel]
    text: str | Unset = UNSET
    title: str | None = None
    date: str | None = None
    genre: str | None = None
    region: str | None = None
    split: str | None = None
    grounding: list[str] = []
    origin: str | None = None
    annotators: list[str] = []
    text_sha256: str | Unset = UNSET


_EMPTY = {False: _GoldAttrs(None, None, None, None), True: _PredAttrs()}
_DECODERS = {False: msgspec.json.Decoder(_GoldDoc), True: msgspec.json.Decoder(_PredDoc)}

# Stricter than the validator's patterns on purpose: fullmatch has no "$ before a final newline" case.
_DOC_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA = re.compile(r"[0-9a-f]{64}")
_ENUMS = {"genre": frozenset(S.GENRES), "region": frozenset(S.REGIONS), "split": frozenset(S.SPLITS), "origin": frozenset(S.ORIGINS)}
_NO_ATTRS = (None,) * len(ATTR_NAMES)
_attr_tuple = attrgetter(*ATTR_NAMES)
_SPAN_FIELDS = attrgetter("id", "start", "end", "label", "entity", "attributes", "text")
_REL_FIELDS = attrgetter("id", "label", "head", "tail")
_PRED_DOC_FIELDS = attrgetter("id", "text", "date", "genre", "region", "split", "origin", "text_sha256")


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


class _Accumulator:
    """Columns of the records seen so far; `add` checks and appends one chunk."""

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
        fields = attrgetter("id", "text", "date", "genre", "region", "split", "origin") if not pred else _PRED_DOC_FIELDS
        cols = list(zip(*map(fields, records), strict=True))
        ids, texts, dates, genres, regions, splits, origins = cols[:7]
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
        for values, key in ((genres, "genre"), (regions, "region"), (splits, "split"), (origins, "origin")):
            _need(set(values) - {None} <= _ENUMS[key])
        if file_split:
            _need(set(splits) <= {None, file_split})
        shas: list[str | None] = [None] * len(ids)
        if pred:
            shas = [None if h is UNSET else h for h in cols[7]]
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
        label, s_ids = self._spans(spans, s_doc, sizes, texts)
        self._relations(rels, r_doc, label, s_doc, s_ids)
        self.n_spans += len(spans)

    def _spans(self, spans: list[Any], s_doc: np.ndarray, sizes: list[int], texts: list[str | None]) -> tuple[np.ndarray, list[str]]:
        n = len(spans)
        pred = self.predictions
        if n == 0:
            z = np.zeros(0, np.int64)
            for key, arr in (("s_doc", z), ("s_start", z), ("s_end", z), ("s_label", z), ("s_entity", z), ("s_attrs", np.zeros((0, len(ATTR_NAMES)), np.int64))):
                self.parts[key].append(arr)
            return z, []
        ids, starts, ends, labels, entities, attrs, given = zip(*map(_SPAN_FIELDS, spans), strict=True)
        # Span ids: pattern once per distinct id; unique within each document.
        codes = {k: i for i, k in enumerate(dict.fromkeys(ids))}
        _need(all(map(_ITEM_ID.fullmatch, codes)))
        id_key = s_doc * len(codes) + np.fromiter(map(codes.__getitem__, ids), np.int64, n)
        _need(_no_repeats(id_key))
        start, end = _ints(starts), _ints(ends)
        _need(bool((start >= 0).all()) and bool((end > start).all()))
        # Offsets and span texts against the document text (predictions may come without one).
        doc_texts = list(chain.from_iterable(map(repeat, texts, sizes)))
        if None in texts:
            rows = [i for i, t in enumerate(doc_texts) if t is not None]
            doc_texts = [doc_texts[i] for i in rows]
            r_start, r_end = [starts[i] for i in rows], [ends[i] for i in rows]
            given = [given[i] for i in rows]
        else:
            r_start, r_end = starts, ends
        lengths = np.fromiter(map(len, doc_texts), np.int64, len(doc_texts))
        _need(bool((np.asarray(r_end, np.int64) <= lengths).all()) if len(doc_texts) else True)
        surfaces = list(map(getitem, doc_texts, map(slice, r_start, r_end)))
        if pred:
            _need(all(a is UNSET or a == b for a, b in zip(given, surfaces, strict=True)))
        else:
            _need(list(given) == surfaces)
            _need(surfaces == list(map(str.strip, surfaces)))
        label = np.fromiter(map(LABEL_ID.get, labels, repeat(UNKNOWN)), np.int64, n)
        unknown = np.flatnonzero(label == UNKNOWN).tolist()
        if unknown:
            _need(self.allow_unknown)
            for i in unknown:
                self.unknown[self.n_spans + i] = labels[i]
        # Entities only on actors, and on every gold actor.
        has_entity = np.fromiter(map(is_not, entities, repeat(None)), bool, n)
        actor = _IS_ACTOR[label]
        _need(not (has_entity & ~actor).any())
        if not pred:
            _need(bool(has_entity[actor].all()))
        # Attributes: all None except on the labels that own them (checked per distinct value tuple).
        if pred:
            attrs = [_EMPTY[True] if a is UNSET else a for a in attrs]
        empty = np.fromiter(map(eq, attrs, repeat(_EMPTY[pred])), bool, n)
        owner = _IS_OWNER[label]
        _need(bool(empty[~owner].all()))
        attr_codes = np.full((n, len(ATTR_NAMES)), -1, np.int64)
        owner_rows = np.flatnonzero(owner).tolist()
        if owner_rows:
            allowed = _ALLOWED_ATTRS[pred]
            keys = [(labels[i], _attr_tuple(attrs[i])) for i in owner_rows]
            table = {}
            for lab_name, tup in dict.fromkeys(keys):
                codes_of = allowed[LABEL_ID[lab_name]]
                _need(tup in codes_of)
                table[(lab_name, tup)] = codes_of[tup]
            attr_codes[owner_rows] = np.array(list(map(table.__getitem__, keys)), np.int64)
        _need("" not in entities)
        if pred:
            entity = np.full(n, -1, np.int64)
        else:
            entity = code_entities(s_doc, list(entities), base=self.n_spans)
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
        p["s_attrs"].append(attr_codes)
        self.s_ids.extend(ids)
        return label, list(ids)

    def _relations(self, rels: list[Any], r_doc: np.ndarray, label: np.ndarray, s_doc: np.ndarray, s_ids: list[str]) -> None:
        m = len(rels)
        p = self.parts
        if m == 0:
            _need(self.predictions or not (label == LABEL_ID["QUOTE"]).any())
            return
        ids, r_labels, heads, tails = zip(*map(_REL_FIELDS, rels), strict=True)
        rcodes = {k: i for i, k in enumerate(dict.fromkeys(ids))}
        _need(all(map(_ITEM_ID.fullmatch, rcodes)))
        key = r_doc * len(rcodes) + np.fromiter(map(rcodes.__getitem__, ids), np.int64, m)
        _need(_no_repeats(key))
        _need(set(r_labels) <= REL_ID.keys())
        _need(not any(map(eq, heads, tails)))
        r_label = np.fromiter(map(REL_ID.__getitem__, r_labels), np.int64, m)
        # Endpoints: span rows of the same document (-1: no such span id there).
        n = len(s_ids)
        both = resolve(s_doc, s_ids, np.concatenate([r_doc, r_doc]), list(heads + tails))
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


#: A run of whole lines of one file: (path, first byte, end byte or None for the end of the file).
Segment = tuple[Path, int, "int | None"]


def read_batch(paths: Iterable[str | os.PathLike[str]], predictions: bool = False, allow_unknown: bool = False) -> Batch | None:
    """Columns of every record under `paths`, or None when the full validator must decide.

    `allow_unknown` lets span labels outside the schema through (as `--unknown-labels
    spurious` does); everything else is checked as `ittifaq validate` would.
    """
    return read_segments([(f, 0, None) for f in jsonl_files(paths)], predictions, allow_unknown)


def read_segments(segments: list[Segment], predictions: bool = False, allow_unknown: bool = False) -> Batch | None:
    """`read_batch` over runs of lines (see `split_lines`); document ids are unique within the call."""
    from ittifaq.evaluate.counts import gc_paused

    decode = _DECODERS[predictions].decode
    acc = _Accumulator(predictions, allow_unknown)
    try:
        with gc_paused():
            for f, lo, hi in segments:
                file_split = None if predictions else split_of_file(f)
                chunk: list[Any] = []
                pos = lo
                with open(f, "rb") as fh:
                    fh.seek(lo)
                    for raw in fh:
                        if hi is not None and pos >= hi:
                            break
                        pos += len(raw)
                        if raw.startswith(BOM) or b"\r" in raw:
                            return None
                        stripped = raw.strip()
                        if not stripped:
                            return None
                        chunk.append(decode(stripped))
                        if len(chunk) == CHUNK:
                            acc.add(chunk, file_split)
                            chunk = []
                acc.add(chunk, file_split)
    except (Unsure, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return acc.batch()


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


__all__ = ["CHUNK", "Segment", "Unsure", "read_batch", "read_segments", "split_lines"]
