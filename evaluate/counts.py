"""Per-document sufficient statistics: match every document once, keep NumPy counts.

Every figure of a report (micro, macro, per label, per layer, every bootstrap
resample, every significance test) is a re-aggregation of the arrays built here;
nothing is ever matched twice. All documents are processed together as flat
arrays (one row per span or relation, with its document index), so the cost is
a handful of vectorized passes rather than a Python loop per span.

Count layouts (the last axis):

* spans, gold side, per (doc, gold label): correct, incorrect, partial, missed
* spans, predicted side, per (doc, predicted label): correct, incorrect, partial, spurious
* relations, per (doc, relation label): true positives, predicted, gold
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ittifaq.evaluate import matching
from ittifaq.evaluate.columns import (
    ATTR_NAMES,
    LABEL_ID,
    REL_ID,
    UNKNOWN,
    Batch,
    dense_rank,
    first_rows,
    from_documents,
    row_key,
    sort_groups,
)
from ittifaq.evaluate.schema import ATTRIBUTES, RELATION_LABELS, SPAN_LABELS, Document
from ittifaq.evaluate.tokenize import LETTER_OR_DIGIT, WORD_CHARS

SCHEMES: tuple[str, ...] = ("strict", "exact", "partial", "type", "clitic")
REL_MODES: tuple[str, ...] = ("strict", "boundaries", "relaxed", "entity")
GOLD_SIDE: tuple[str, ...] = ("correct", "incorrect", "partial", "missed")
PRED_SIDE: tuple[str, ...] = ("correct", "incorrect", "partial", "spurious")
REL_COUNTS: tuple[str, ...] = ("tp", "pred", "gold")
N_LABELS = len(SPAN_LABELS) + 1
QUOTE = LABEL_ID["QUOTE"]

#: Arabic short vowels, tanween, shadda and sukun (U+064B-U+0652): a proclitic or the article may carry them.
_MARK_CHARS = "".join(map(chr, range(0x64B, 0x653)))
_MARKS = f"[{_MARK_CHARS}]*"
#: What a `clitic` prediction may add before gold's start: up to two proclitics (a second one
#: only after و or ف), perhaps vocalized and perhaps followed by a tatweel (بـ before a Latin
#: word or a number), and/or the article ال.
CLITIC_ADDED = re.compile(f"(?:(?:[وف]{_MARKS})?[وفبلك]{_MARKS}\u0640?)?(?:ا{_MARKS}ل{_MARKS})?")
#: What it may leave out at gold's start: the article, which gold keeps inside (guidelines §1.2),
#: or, where gold starts after the ل of لل (§1.1), the ل that stands for the article there.
CLITIC_LEFT_OUT = re.compile(f"ا{_MARKS}ل{_MARKS}")
_LAM_LEFT_OUT = re.compile(f"ل{_MARKS}")
#: A word for the quote token overlap: a run of word characters (tokenize.WORD_CHARS) that holds
#: a letter or digit: a quote cut inside a word after its last letter leaves no token of marks only.
_WORD = re.compile(f"(?:(?!{LETTER_OR_DIGIT}){WORD_CHARS})*{LETTER_OR_DIGIT}{WORD_CHARS}*")


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


@dataclass
class DocCounts:
    """The sufficient statistics of one (gold, prediction) pairing."""

    n_docs: int
    spans: dict[str, tuple[np.ndarray, np.ndarray]]  # scheme -> (gold [n,L,4], pred [n,L,4])
    relations: dict[str, np.ndarray]  # mode -> [n, R, 3]
    attributes: np.ndarray  # [n, A, 2]: correct, total
    quote_tokens: np.ndarray  # [n, 3]: overlap, predicted, gold
    analyst: np.ndarray  # [n, 4]: gold, gold found, pred, pred correct (analyst quotes, strict)
    analyst_tokens: np.ndarray  # [n, 4]: analyst-quote tokens: predicted in gold's, predicted, gold in any predicted quote, gold
    analyst_relations: np.ndarray  # [n, 2, 4]: (cue strict, speaker entity) x (pred correct, pred, gold found, gold)
    span_duplicates: np.ndarray  # [n]
    relation_duplicates: np.ndarray  # [n]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def blocks(self) -> dict[str, np.ndarray]:
        """Every count array by a stable name, each with documents on axis 0."""
        out: dict[str, np.ndarray] = {}
        for scheme, (g, p) in self.spans.items():
            out[f"spans.{scheme}.gold"] = g
            out[f"spans.{scheme}.pred"] = p
        for mode, r in self.relations.items():
            out[f"relations.{mode}"] = r
        out["attributes"] = self.attributes
        out["quotes.tokens"] = self.quote_tokens
        out["quotes.analyst"] = self.analyst
        out["quotes.analyst_tokens"] = self.analyst_tokens
        out["quotes.analyst_relations"] = self.analyst_relations
        return out


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


def _clitic_equal(text: str, gs: int, ge: int, ps: int, pe: int) -> bool:
    """Same end, and the starts differ only by what the guidelines keep outside a span.

    Gold says where the word starts, so the rule is not symmetric: a prediction may take
    proclitics gold leaves out, but leaving out a letter gold takes is an error, since gold
    takes none but the article's (`زير` for gold `وزير`, `بنان` for `لبنان`)."""
    if ge != pe or gs == ps or max(gs, ps) >= ge:
        return False
    if ps < gs:
        return CLITIC_ADDED.fullmatch(text, ps, gs) is not None
    if CLITIC_LEFT_OUT.fullmatch(text, gs, ps) is not None:
        return True
    if _LAM_LEFT_OUT.fullmatch(text, gs, ps) is None:
        return False
    i = gs - 1
    while i >= 0 and text[i] in _MARK_CHARS:
        i -= 1
    return i >= 0 and text[i] == "ل"


def _per_doc(doc: np.ndarray, label: np.ndarray, status: np.ndarray, n_docs: int, n_labels: int, n_status: int) -> np.ndarray:
    flat = (doc * n_labels + label) * n_status + status
    return np.bincount(flat, minlength=n_docs * n_labels * n_status).reshape(n_docs, n_labels, n_status)


def _pair_keys(g_cols: list[np.ndarray], p_cols: list[np.ndarray], dense: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys for rows of two tables: equal keys iff all columns are equal.

    With `dense`, keys are 0..k-1 (usable as column values of a further key).
    """
    n_g = len(g_cols[0])
    cols = [np.concatenate([np.asarray(a, np.int64), np.asarray(b, np.int64)]) for a, b in zip(g_cols, p_cols, strict=True)]
    if len(cols[0]) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = row_key(cols)
    if dense:
        key = dense_rank(key)
    return key[:n_g], key[n_g:]


def _distinct(key: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct key, in increasing key order."""
    if len(key) == 0:
        return np.zeros(0, np.int64)
    order, first = sort_groups(key)
    return order[first]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values[i] in sorted_set, by binary search."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), bool)
    i = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[i] == values


def _set_counts(g_doc, g_lab, g_key, p_doc, p_lab, p_key, n_docs) -> tuple[np.ndarray, RelRows]:
    """Per (doc, label) [tp, pred, gold] of two key sets (duplicates within a side count once),
    and which rows stood for each distinct key and which of those were hit."""
    gi, pi = _distinct(g_key), _distinct(p_key)
    gu, pu = g_key[gi], p_key[pi]
    g_doc, g_lab = g_doc[gi], g_lab[gi]
    p_doc, p_lab = p_doc[pi], p_lab[pi]
    p_hit = _member(pu, gu)
    g_hit = _member(gu, pu)
    nr = len(RELATION_LABELS)
    out = np.zeros((n_docs, nr, 3), np.int64)
    out[:, :, 0] = np.bincount(p_doc[p_hit] * nr + p_lab[p_hit], minlength=n_docs * nr).reshape(n_docs, nr)
    out[:, :, 1] = np.bincount(p_doc * nr + p_lab, minlength=n_docs * nr).reshape(n_docs, nr)
    out[:, :, 2] = np.bincount(g_doc * nr + g_lab, minlength=n_docs * nr).reshape(n_docs, nr)
    return out, RelRows(pred=pi, pred_hit=pi[p_hit], gold=gi, gold_hit=gi[g_hit])


@dataclass(slots=True)
class RelRows:
    """Relation rows standing for each distinct key of a mode, and those that were hit."""

    pred: np.ndarray
    pred_hit: np.ndarray
    gold: np.ndarray
    gold_hit: np.ndarray


def _token_overlap(texts: list[str | None], G: SpanTable, P: SpanTable, g_sel: np.ndarray, p_sel: np.ndarray, n_docs: int) -> np.ndarray:
    """[n, 3] tokens in both, in the predicted and in the gold selected spans, per document
    (overlapping spans of a side are merged first, so no token counts twice)."""
    out = np.zeros((n_docs, 3), np.int64)
    by_doc_g: dict[int, list[tuple[int, int]]] = {}
    by_doc_p: dict[int, list[tuple[int, int]]] = {}
    for i in np.flatnonzero(g_sel).tolist():
        by_doc_g.setdefault(int(G.doc[i]), []).append((int(G.start[i]), int(G.end[i])))
    for i in np.flatnonzero(p_sel).tolist():
        by_doc_p.setdefault(int(P.doc[i]), []).append((int(P.start[i]), int(P.end[i])))
    for d in set(by_doc_g) | set(by_doc_p):
        text = texts[d] or ""
        gi_ = _merge(by_doc_g.get(d, []))
        pi_ = _merge(by_doc_p.get(d, []))
        out[d] = (_token_count(text, _intersect(gi_, pi_)), _token_count(text, pi_), _token_count(text, gi_))
    return out


def _rel_keys(rels: RelTable, spans: SpanTable) -> tuple[np.ndarray, ...]:
    """Columns that tell a document's relations apart: label, and each argument's start, end and label."""
    h, t = rels.head, rels.tail
    return (rels.label, spans.start[h], spans.end[h], spans.label[h], spans.start[t], spans.end[t], spans.label[t])


def _token_count(text: str, intervals: list[tuple[int, int]]) -> int:
    return sum(len(_WORD.findall(text, a, b)) for a, b in intervals)


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _intersect(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def gold_digest(gold: Batch) -> str:
    """SHA-256 of the gold content (ids, texts, spans, entities, attributes, relations), for
    signatures of gold given in memory rather than as a file."""
    digest = hashlib.sha256()
    digest.update("\x00".join(gold.ids).encode("utf-8"))
    digest.update("\x00".join(t or "" for t in gold.texts).encode("utf-8"))
    for arr in (gold.s_doc, gold.s_start, gold.s_end, gold.s_label, gold.s_entity, gold.s_attrs, gold.r_doc, gold.r_label, gold.r_head, gold.r_tail):
        digest.update(np.ascontiguousarray(arr, np.int64).tobytes())
    return digest.hexdigest()


def concat_counts(parts: list[DocCounts]) -> DocCounts:
    """The counts of several document sets, one after the other (documents are independent)."""
    if len(parts) == 1:
        return parts[0]

    def cat(get: Any) -> np.ndarray:
        return np.concatenate([get(c) for c in parts], axis=0)

    first = parts[0]
    return DocCounts(
        n_docs=sum(c.n_docs for c in parts),
        spans={k: (cat(lambda c, k=k: c.spans[k][0]), cat(lambda c, k=k: c.spans[k][1])) for k in first.spans},
        relations={k: cat(lambda c, k=k: c.relations[k]) for k in first.relations},
        attributes=cat(lambda c: c.attributes),
        quote_tokens=cat(lambda c: c.quote_tokens),
        analyst=cat(lambda c: c.analyst),
        analyst_tokens=cat(lambda c: c.analyst_tokens),
        analyst_relations=cat(lambda c: c.analyst_relations),
        span_duplicates=cat(lambda c: c.span_duplicates),
        relation_duplicates=cat(lambda c: c.relation_duplicates),
        errors=[e for c in parts for e in c.errors],
    )


def compute_counts(
    gold: Batch | list[Document],
    pred: Batch | list[Document],
    allow_unknown: bool = False,
    collect_errors: bool = False,
) -> DocCounts:
    """Match prediction document i against gold document i for all i at once and count.

    `pred` must already be aligned with `gold` (same length and order; see
    `scoring.align`). Lists of Documents are converted to columns first.
    """
    with gc_paused():
        if not isinstance(gold, Batch):
            gold = from_documents(gold, gold=True)
        if not isinstance(pred, Batch):
            pred = from_documents(pred, gold=False)
        return _compute_counts(gold, pred, allow_unknown, collect_errors)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Flattening millions of spans allocates tuples and lists that trigger full
    collections over every live object again and again; that made time grow
    superlinearly with corpus size. Nothing built here forms reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute_counts(gold: Batch, pred: Batch, allow_unknown: bool, collect_errors: bool) -> DocCounts:
    n_docs = len(gold)
    texts = gold.texts
    G = span_table(gold)
    P = span_table(pred, allow_unknown=allow_unknown)
    GR = rel_table(gold, G)
    PR = rel_table(pred, P)
    stride = int(max(G.end.max(initial=0), P.end.max(initial=0))) + 1
    known = P.label != UNKNOWN
    p_off_start = np.where(known, P.doc * stride + P.start, -1)
    p_off_end = np.where(known, P.doc * stride + P.end, -1)
    g, p = matching.overlap_pairs(G.doc * stride + G.start, G.doc * stride + G.end, p_off_start, p_off_end)
    same_b = (G.start[g] == P.start[p]) & (G.end[g] == P.end[p])
    same_l = G.label[g] == P.label[p]
    inter = np.minimum(G.end[g], P.end[p]) - np.maximum(G.start[g], P.start[p])
    union = np.maximum(G.end[g], P.end[p]) - np.minimum(G.start[g], P.start[p])
    # Among equally good matchings: pairs of the same label first (so that, e.g. under `exact`,
    # a prediction credits the gold span of its own label), then the same boundaries, then overlap.
    tie = 0.4 * same_l + 0.3 * same_b + 0.29 * inter / np.maximum(union, 1)
    g_keys, p_keys = (G.start, G.end, G.label), (P.start, P.end, P.label)
    clitic = same_b.copy()
    cand = np.flatnonzero(~same_b & same_l & (G.end[g] == P.end[p]) & (np.abs(G.start[g] - P.start[p]) <= 16))
    for k in cand:
        gi, pi = g[k], p[k]
        clitic[k] = _clitic_equal(texts[G.doc[gi]] or "", int(G.start[gi]), int(G.end[gi]), int(P.start[pi]), int(P.end[pi]))
    comp = matching.components(len(G), len(P), g, p)
    rules = {
        "strict": (same_b & same_l, 1),
        "exact": (same_b, 1),
        "partial": (same_b, 2),
        "type": (same_l, 1),
        "clitic": (clitic & same_l, 1),
    }
    spans: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    chosen_by: dict[str, np.ndarray] = {}
    for scheme, (correct, wrong_status) in rules.items():
        chosen = matching.match(len(G), len(P), g, p, correct, tie, comp, g_keys, p_keys)
        chosen_by[scheme] = chosen
        status = np.where(correct[chosen], 0, wrong_status)
        g_status = np.full(len(G), 3, np.int64)
        g_status[g[chosen]] = status
        p_status = np.full(len(P), 3, np.int64)
        p_status[p[chosen]] = status
        spans[scheme] = (
            _per_doc(G.doc, G.label, g_status, n_docs, N_LABELS, 4),
            _per_doc(P.doc, P.label, p_status, n_docs, N_LABELS, 4),
        )

    # Relations.
    nr = len(RELATION_LABELS)
    relations: dict[str, np.ndarray] = {}
    # Relation keys are built on span ids shared by both sides: a span id stands for
    # (doc, start, end, label), a boundary id for (doc, start, end).
    sid_g, sid_p = _pair_keys([G.doc, G.start, G.end, G.label], [P.doc, P.start, P.end, P.label], dense=True)
    bid_g, bid_p = _pair_keys([G.doc, G.start, G.end], [P.doc, P.start, P.end], dense=True)
    gk, pk = _pair_keys([GR.label, sid_g[GR.head], sid_g[GR.tail]], [PR.label, sid_p[PR.head], sid_p[PR.tail]])
    relations["strict"], strict_sets = _set_counts(GR.doc, GR.label, gk, PR.doc, PR.label, pk, n_docs)
    gk, pk = _pair_keys([GR.label, bid_g[GR.head], bid_g[GR.tail]], [PR.label, bid_p[PR.head], bid_p[PR.tail]])
    relations["boundaries"], _ = _set_counts(GR.doc, GR.label, gk, PR.doc, PR.label, pk, n_docs)

    # relaxed: same relation label, heads overlap, tails overlap; optimal one-to-one.
    n_pairs_key = np.int64(len(P) + 1)
    overlap_key = np.sort(g.astype(np.int64) * n_pairs_key + p)
    # Candidates come from overlapping heads: for each overlapping (gold span, predicted span)
    # pair, every gold relation headed by the one times every predicted relation headed by the
    # other. Linear in the output, however long the document.
    g_by_head = np.argsort(GR.head, kind="stable")
    p_by_head = np.argsort(PR.head, kind="stable")
    gh_sorted, ph_sorted = GR.head[g_by_head], PR.head[p_by_head]
    e_lo = np.searchsorted(gh_sorted, g, "left")
    e_hi = np.searchsorted(gh_sorted, g, "right")
    edge, pos = matching._expand(e_lo, e_hi)
    rg = g_by_head[pos] if len(pos) else pos
    f_lo = np.searchsorted(ph_sorted, p[edge], "left")
    f_hi = np.searchsorted(ph_sorted, p[edge], "right")
    k, pos = matching._expand(f_lo, f_hi)
    rg = rg[k] if len(k) else k
    rp = p_by_head[pos] if len(pos) else pos
    same = GR.label[rg] == PR.label[rp]
    rg, rp = rg[same], rp[same]

    def _has(keys: np.ndarray) -> np.ndarray:
        i = np.searchsorted(overlap_key, keys)
        i = np.minimum(i, max(len(overlap_key) - 1, 0))
        return overlap_key[i] == keys if len(overlap_key) else np.zeros(len(keys), bool)

    ok = _has(GR.tail[rg] * n_pairs_key + PR.tail[rp])
    rg, rp = rg[ok], rp[ok]
    exact_args = (
        (G.start[GR.head[rg]] == P.start[PR.head[rp]]) & (G.end[GR.head[rg]] == P.end[PR.head[rp]])
        & (G.start[GR.tail[rg]] == P.start[PR.tail[rp]]) & (G.end[GR.tail[rg]] == P.end[PR.tail[rp]])
    )
    chosen = matching.match(len(GR.doc), len(PR.doc), rg, rp, np.ones(len(rg), bool), 0.5 * exact_args, None, _rel_keys(GR, G), _rel_keys(PR, P))
    relaxed = np.zeros((n_docs, nr, 3), np.int64)
    relaxed[:, :, 0] = np.bincount(PR.doc[rp[chosen]] * nr + PR.label[rp[chosen]], minlength=n_docs * nr).reshape(n_docs, nr)
    relaxed[:, :, 1] = np.bincount(PR.doc * nr + PR.label, minlength=n_docs * nr).reshape(n_docs, nr)
    relaxed[:, :, 2] = np.bincount(GR.doc * nr + GR.label, minlength=n_docs * nr).reshape(n_docs, nr)
    relations["relaxed"] = relaxed

    # entity: tail compared by gold entity cluster (a predicted tail strictly equal to any
    # mention of the cluster); head strictly. Gold relations to two mentions of one
    # entity collapse into one (entity-level, as DocRED).
    # Clusters: gold entity codes, then one per gold span without an entity, then one per
    # predicted tail that matches no gold span (it can equal nothing).
    n_ent = int(G.entity.max(initial=-1)) + 1
    g_cluster = np.where(G.entity >= 0, G.entity, n_ent + np.arange(len(G)))
    strict_pairs = (same_b & same_l)
    pred_to_gold = np.full(len(P), -1, np.int64)
    pred_to_gold[p[strict_pairs]] = g[strict_pairs]
    tail_gold = pred_to_gold[PR.tail] if len(PR.tail) else PR.tail
    p_cluster = np.where(tail_gold >= 0, g_cluster[np.maximum(tail_gold, 0)] if len(G) else -1, n_ent + len(G) + PR.tail)
    gk, pk = _pair_keys([GR.label, sid_g[GR.head], g_cluster[GR.tail]], [PR.label, sid_p[PR.head], p_cluster])
    relations["entity"], entity_sets = _set_counts(GR.doc, GR.label, gk, PR.doc, PR.label, pk, n_docs)

    # Attributes on strictly matched spans.
    ch = chosen_by["strict"] & same_b & same_l
    mg, mp = g[ch], p[ch]
    attributes = np.zeros((n_docs, len(ATTR_NAMES), 2), np.int64)
    for j, name in enumerate(ATTR_NAMES):
        owner = LABEL_ID[ATTRIBUTES[name][0]]
        sel = (G.label[mg] == owner) & (G.attrs[mg, j] >= 0)
        hit = sel & (G.attrs[mg, j] == P.attrs[mp, j])
        attributes[:, j, 0] = np.bincount(G.doc[mg[hit]], minlength=n_docs)
        attributes[:, j, 1] = np.bincount(G.doc[mg[sel]], minlength=n_docs)

    # Quotes: token overlap of quoted content, and the analyst subset (quotes whose source_role
    # is analyst; on the predicted side, as predicted) scored the same ways apart.
    role = ATTR_NAMES.index("source_role")
    analyst_code = ATTRIBUTES["source_role"][1].index("analyst")
    g_quote, p_quote = G.label == QUOTE, P.label == QUOTE
    g_an = g_quote & (G.attrs[:, role] == analyst_code)
    p_an = p_quote & (P.attrs[:, role] == analyst_code)
    quote_tokens = _token_overlap(texts, G, P, g_quote, p_quote, n_docs)
    # As for the analyst quotes below: precision over what is predicted an analyst's (and lies in
    # a gold analyst quote), recall over the gold analyst quotes, whatever role was predicted.
    an_pred = _token_overlap(texts, G, P, g_an, p_an, n_docs)
    an_gold = _token_overlap(texts, G, P, g_an, p_quote, n_docs)
    analyst_tokens = np.stack([an_pred[:, 0], an_pred[:, 1], an_gold[:, 0], an_gold[:, 2]], axis=1)
    found = np.zeros(len(G), bool)
    found[mg] = True
    p_ok = np.zeros(len(P), bool)
    p_ok[mp[g_an[mg]]] = True
    analyst = np.stack(
        [
            np.bincount(G.doc[g_an], minlength=n_docs),
            np.bincount(G.doc[g_an & found], minlength=n_docs),
            np.bincount(P.doc[p_an], minlength=n_docs),
            np.bincount(P.doc[p_an & p_ok], minlength=n_docs),
        ],
        axis=1,
    )

    # As for content: a predicted analyst item is correct when it is right and its gold quote is an
    # analyst's; a gold analyst item is found when a prediction gets it, whatever role it gave.
    head_is_gold_analyst = np.zeros(len(P), bool)
    head_is_gold_analyst[p[strict_pairs]] = g_an[g[strict_pairs]]

    def analyst_relation(label: str, rows: RelRows) -> np.ndarray:
        """[n, 4] pred correct, pred, gold found, gold: relations of `label` headed by an analyst quote."""
        g_sel = (GR.label == REL_ID[label]) & g_an[GR.head]
        p_sel = (PR.label == REL_ID[label]) & p_an[PR.head]
        p_ok = p_sel & head_is_gold_analyst[PR.head]
        return np.stack([np.bincount(PR.doc[rows.pred_hit[p_ok[rows.pred_hit]]], minlength=n_docs),
                         np.bincount(PR.doc[rows.pred[p_sel[rows.pred]]], minlength=n_docs),
                         np.bincount(GR.doc[rows.gold_hit[g_sel[rows.gold_hit]]], minlength=n_docs),
                         np.bincount(GR.doc[rows.gold[g_sel[rows.gold]]], minlength=n_docs)], axis=1)

    analyst_relations = np.stack([analyst_relation("cue", strict_sets), analyst_relation("speaker", entity_sets)], axis=1)

    counts = DocCounts(
        n_docs=n_docs,
        spans=spans,
        relations=relations,
        attributes=attributes,
        quote_tokens=quote_tokens,
        analyst=analyst,
        analyst_tokens=analyst_tokens,
        analyst_relations=analyst_relations,
        span_duplicates=P.n_duplicates,
        relation_duplicates=PR.n_duplicates,
    )
    if collect_errors:
        counts.errors = _errors(gold, G, P, GR, PR, g, p, chosen_by["strict"], same_b, same_l, clitic)
    return counts


def _span_view(S: SpanTable, row: int, text: str) -> dict[str, Any]:
    start, end = int(S.start[row]), int(S.end[row])
    return {"id": S.ids[row], "start": start, "end": end, "label": S.label_name(row), "text": text[start:end]}


def _errors(gold: Batch, G, P, GR, PR, g, p, chosen, same_b, same_l, clitic) -> list[dict[str, Any]]:
    """Every strict-scheme span error and strict-mode relation error, grouped by document."""
    out: list[dict[str, Any]] = []
    ids, texts = gold.ids, gold.texts
    matched_g = np.zeros(len(G), bool)
    matched_p = np.zeros(len(P), bool)
    matched_g[g[chosen]] = True
    matched_p[p[chosen]] = True
    for k in np.flatnonzero(chosen & ~(same_b & same_l)):
        gi, pi = int(g[k]), int(p[k])
        d = int(G.doc[gi])
        text = texts[d] or ""
        kind = "label" if same_b[k] else ("boundary" if same_l[k] else "boundary+label")
        rec = {"doc": ids[d], "kind": kind, "gold": _span_view(G, gi, text), "pred": _span_view(P, pi, text)}
        if clitic[k] and not same_b[k]:
            rec["clitic_only"] = True
        out.append(rec)
    for gi in np.flatnonzero(~matched_g).tolist():
        d = int(G.doc[gi])
        out.append({"doc": ids[d], "kind": "missed", "gold": _span_view(G, gi, texts[d] or "")})
    for pi in np.flatnonzero(~matched_p).tolist():
        d = int(P.doc[pi])
        out.append({"doc": ids[d], "kind": "spurious", "pred": _span_view(P, pi, texts[d] or "")})
    # Relations (strict mode): a gold relation missed / a predicted one spurious.
    def keys(R: RelTable, S: SpanTable) -> list[tuple[int, ...]]:
        cols = (R.doc, R.label, S.start[R.head], S.end[R.head], S.label[R.head], S.start[R.tail], S.end[R.tail], S.label[R.tail])
        return list(zip(*(c.tolist() for c in cols), strict=False))

    g_keys, p_keys = keys(GR, G), keys(PR, P)
    g_set, p_set = set(g_keys), set(p_keys)
    for R, S, own, other, kind in ((GR, G, g_keys, p_set, "relation-missed"), (PR, P, p_keys, g_set, "relation-spurious")):
        for i, key in enumerate(own):
            if key in other:
                continue
            d = int(R.doc[i])
            text = texts[d] or ""
            out.append({"doc": ids[d], "kind": kind, "label": RELATION_LABELS[int(R.label[i])],
                        "head": _span_view(S, int(R.head[i]), text), "tail": _span_view(S, int(R.tail[i]), text)})
    # Documents in gold order; within one, by where the error is (its gold span, else its
    # predicted one; a relation by its head, then tail), so the input's span order never shows.
    order = {d: i for i, d in enumerate(ids)}

    def where(e: dict[str, Any]) -> tuple[Any, ...]:
        spans = [(v["start"], v["end"], v["label"]) for v in (e.get(k) for k in ("gold", "pred", "head", "tail")) if v]
        return (order[e["doc"]], spans[0], spans[1] if len(spans) > 1 else (-1, -1, ""), e["kind"], e.get("label", ""))

    out.sort(key=where)
    return out
