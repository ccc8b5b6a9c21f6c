"""Aligning a whole run: each document's answer on its gold text, and the alignment record that
`ittifaq score --alignment` reads (prompt tag, failed documents, unanchored counts and items)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.llm.align import ALIGN_VERSION, align_answer, empty
from ittifaq.evaluate.schema import RELATION_LABELS, SPAN_LABELS, Document


def _prompt_tag(responses: list[dict[str, Any]]) -> str:
    tags = {(r.get("prompt") or {}).get("tag") for r in responses}
    tags.discard(None)
    if len(tags) > 1:
        raise InputError(f"the responses come from different prompts ({', '.join(sorted(tags))}); align one run at a time")
    return tags.pop() if tags else "none"


def align_run(responses: list[dict[str, Any]], gold: list[Document]) -> tuple[list[Document], dict[str, Any]]:
    """Predictions in gold order (an empty one for a failed or missing document) and the alignment record."""
    by_id: dict[str, dict[str, Any]] = {}
    for r in responses:
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise InputError("a response record has no document id (expected the output of `ittifaq llm run`)")
        by_id[r["id"]] = r
    unknown = sorted(set(by_id) - {d.id for d in gold})
    if unknown:
        raise InputError(f"{len(unknown)} response(s) name documents not in gold: {', '.join(unknown[:5])}")
    preds, items, failed = [], [], []
    tiers: Counter[str] = Counter()
    for d in gold:
        r = by_id.get(d.id)
        answer = r.get("answer") if r else None
        if not isinstance(answer, dict):
            failed.append({"id": d.id, "error": (r or {}).get("error") or "no response"})
            aligned = empty(d.id, d.text or "")
        else:
            aligned = align_answer(d.id, d.text or "", answer)
        aligned.doc.split = d.split
        preds.append(aligned.doc)
        items += aligned.unanchored
        tiers += aligned.tiers
    # An actor with a label outside the schema counts as a span of label "actor" (in the micro figure only).
    spans = Counter(u["label"] for u in items if u["label"] not in RELATION_LABELS)
    relations = Counter(u["label"] for u in items if u["label"] in RELATION_LABELS)
    record = {
        "align_version": ALIGN_VERSION,
        "prompt": _prompt_tag(responses),
        "models": sorted({str(r.get("model")) for r in responses if r.get("model")}),
        "documents": len(gold),
        "failed_documents": failed,
        "anchored_by": dict(sorted(tiers.items())),
        "unanchored": {
            "spans": {lab: spans[lab] for lab in (*SPAN_LABELS, *sorted(set(spans) - set(SPAN_LABELS)))},
            "relations": {lab: relations[lab] for lab in RELATION_LABELS},
            "reasons": dict(sorted(Counter(u["reason"] for u in items).items())),
            "total": len(items),
        },
        "items": items,
    }
    return preds, record
