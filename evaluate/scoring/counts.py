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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ittifaq.evaluate.columns import (
    ATTR_NAMES,
    LABEL_ID,
    REL_ID,
    UNKNOWN,
    Batch,
    dense_rank,
    from_documents,
    row_key,
    sort_groups,
)
from ittifaq.evaluate.gc_pause import gc_paused
from ittifaq.evaluate.schema import ATTRIBUTES, RELATION_LABELS, SPAN_LABELS, Document
from ittifaq.evaluate.scoring import matching
from ittifaq.evaluate.scoring.errors import error_list
from ittifaq.evaluate.scoring.quote_tokens import token_overlap
from ittifaq.evaluate.scoring.schemes import clitic_equal
from ittifaq.evaluate.scoring.tables import RelTable, SpanTable, rel_table, span_table

N_LABELS = len(SPAN_LABELS) + 1
QUOTE = LABEL_ID["QUOTE"]


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


def _rel_keys(rels: RelTable, spans: SpanTable) -> tuple[np.ndarray, ...]:
    """Columns that tell a document's relations apart: label, and each argument's start, end and label."""
    h, t = rels.head, rels.tail
    return (rels.label, spans.start[h], spans.end[h], spans.label[h], spans.start[t], spans.end[t], spans.label[t])


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
        clitic[k] = clitic_equal(texts[G.doc[gi]] or "", int(G.start[gi]), int(G.end[gi]), int(P.start[pi]), int(P.end[pi]))
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
    quote_tokens = token_overlap(texts, G, P, g_quote, p_quote, n_docs)
    # As for the analyst quotes below: precision over what is predicted an analyst's (and lies in
    # a gold analyst quote), recall over the gold analyst quotes, whatever role was predicted.
    an_pred = token_overlap(texts, G, P, g_an, p_an, n_docs)
    an_gold = token_overlap(texts, G, P, g_an, p_quote, n_docs)
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
        counts.errors = error_list(gold, G, P, GR, PR, g, p, chosen_by["strict"], same_b, same_l, clitic)
    return counts


