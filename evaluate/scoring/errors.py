"""The `--errors` listing: every strict-scheme span error and strict-mode relation error."""

from __future__ import annotations

from typing import Any

import numpy as np

from ittifaq.evaluate.columns import Batch
from ittifaq.evaluate.schema import RELATION_LABELS
from ittifaq.evaluate.scoring.tables import RelTable, SpanTable


def _span_view(S: SpanTable, row: int, text: str) -> dict[str, Any]:
    start, end = int(S.start[row]), int(S.end[row])
    return {"id": S.ids[row], "start": start, "end": end, "label": S.label_name(row), "text": text[start:end]}


def error_list(gold: Batch, G, P, GR, PR, g, p, chosen, same_b, same_l, clitic) -> list[dict[str, Any]]:
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
