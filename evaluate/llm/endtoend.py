"""The end-to-end figure of an LLM run: unanchored items counted as false positives.

The scorer sees only what `align` anchored. An item the model claimed but `align` could not place
is still a claim, so beside each anchored-only figure the report gets one whose predicted count
includes the unanchored items of its labels (precision falls, recall is unchanged: an unanchored
item can match no gold item). The signature gains the prompt tag and the alignment version.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from ittifaq.evaluate.schema import LAYERS
from ittifaq.evaluate.scoring.signature import Signature


def _with_fp(fig: dict[str, Any], extra: int) -> dict[str, Any]:
    """P, R, F1 of `fig` with `extra` more predicted items, none of them correct."""
    actual = fig["counts"].get("actual", fig["counts"].get("pred", 0))
    p, r = fig["p"], fig["r"]
    if extra and p is not None:
        p = p * actual / (actual + extra)
    elif extra:
        p = 0.0
    f1 = None if p is None or r is None else (0.0 if p + r == 0 else 2 * p * r / (p + r))
    rounded = [None if x is None else round(x, 6) for x in (p, r, f1)]
    return {"p": rounded[0], "r": rounded[1], "f1": rounded[2], "predicted": actual + extra, "unanchored": extra}


def end_to_end(report: dict[str, Any], alignment: dict[str, Any]) -> dict[str, Any]:
    """A copy of a score report (`ScoreReport.to_dict()`) with `unanchored`, `end_to_end` and the signature's prompt fields."""
    out = copy.deepcopy(report)
    lost_spans = alignment["unanchored"]["spans"]
    lost_rels = alignment["unanchored"]["relations"]
    n_spans, n_rels = sum(lost_spans.values()), sum(lost_rels.values())
    figures: dict[str, Any] = {"spans": {}, "relations": {}}
    for scheme, sec in report["spans"].items():
        figures["spans"][scheme] = {
            "micro": _with_fp(sec["micro"], n_spans),
            "per_layer": {layer: _with_fp(sec["per_layer"][layer], sum(lost_spans.get(lab, 0) for lab in labels))
                          for layer, labels in LAYERS.items() if layer in sec["per_layer"]},
            "per_label": {lab: _with_fp(sec["per_label"][lab], n) for lab, n in lost_spans.items() if lab in sec["per_label"]},
        }
    for mode, sec in report["relations"].items():
        figures["relations"][mode] = {
            "micro": _with_fp(sec["micro"], n_rels),
            "per_label": {lab: _with_fp(sec["per_label"][lab], n) for lab, n in lost_rels.items() if lab in sec["per_label"]},
        }
    out["unanchored"] = {k: alignment["unanchored"][k] for k in ("spans", "relations", "reasons", "total")}
    out["unanchored"]["failed_documents"] = len(alignment["failed_documents"])
    out["end_to_end"] = figures
    sig = Signature.parse(report["signature"])
    extra = (*sig.extra, ("prompt", str(alignment["prompt"])), ("align", f"v{alignment['align_version']}"))
    out["signature"] = str(dataclasses.replace(sig, extra=extra))
    return out


def read_alignment(path: str) -> dict[str, Any]:
    """The alignment record `ittifaq align` wrote (InputError if it is not one)."""
    import json

    from ittifaq.evaluate.io.errors import InputError

    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
        record["unanchored"]["spans"], record["unanchored"]["relations"], record["prompt"], record["align_version"]  # noqa: B018
        record["failed_documents"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not an alignment record of `ittifaq align` ({exc!r})") from None
    return record
