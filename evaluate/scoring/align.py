"""Predictions in gold order: documents paired by id, texts checked, offsets carried over a normalized text."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from ittifaq.evaluate.columns import Batch, take_docs
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.text import arabic_norm


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapped(batch: Batch) -> Batch:
    """The batch with its span boundaries snapped past removed characters (`arabic_norm.snap_spans`)."""
    start, end = arabic_norm.snap_spans(batch.texts, batch.s_doc, batch.s_start, batch.s_end)
    return replace(batch, s_start=start, s_end=end)


def align(gold: Batch, pred: Batch, ignore_extra: bool = False, norm: str = "none") -> tuple[Batch, list[str], list[str]]:
    """Predictions in gold order (empty where missing), the missing ids and the ignored extra ids."""
    if norm not in arabic_norm.NORMS:
        raise InputError(f"unknown normalization {norm!r}; choose one of {', '.join(arabic_norm.NORMS)}")
    gold_ids: dict[str, int] = {}
    for i, doc_id in enumerate(gold.ids):
        if gold_ids.setdefault(doc_id, i) != i:
            raise InputError(f"gold: document {doc_id!r} appears twice", {"gold": [doc_id]})
    new_doc = np.full(len(pred), -1, np.int64)
    seen: set[str] = set()
    extra: list[str] = []
    for i, doc_id in enumerate(pred.ids):
        if doc_id in seen:
            raise InputError(f"predictions: document {doc_id!r} appears twice", {"pred": [doc_id]})
        seen.add(doc_id)
        gi = gold_ids.get(doc_id)
        if gi is None:
            extra.append(doc_id)
        else:
            new_doc[i] = gi
    if extra and not ignore_extra:
        shown = ", ".join(extra[:20]) + (f" … and {len(extra) - 20} more" if len(extra) > 20 else "")
        raise InputError(f"predictions for {len(extra)} document(s) not in gold: {shown} (use --ignore-extra to skip them)", {"pred": extra})
    missing = [doc_id for doc_id in gold.ids if doc_id not in seen]
    remaps: dict[int, list[int]] = {}
    for i, gi in enumerate(new_doc.tolist()):
        if gi < 0:
            continue
        gold_text = gold.texts[gi] or ""
        p_text, p_sha = pred.texts[i], pred.text_sha256[i]
        if p_text is not None and p_text != gold_text:
            # The offset map is built only when it is used; without normalization a cheap comparison
            # of the normalized texts decides the hint (a 100 M-character text must not cost an offset map).
            mapping = arabic_norm.offset_map(p_text, gold_text) if norm == "arabic" else None
            if mapping is None:
                why = (" (even after Arabic normalization)" if norm == "arabic" else
                       " (if only in spelling: alef and hamza forms, ى/ي, ة/ه, tatweel or diacritics, --normalize arabic accepts it)"
                       if arabic_norm.same_after_normalization(p_text, gold_text) else "")
                raise InputError(f"document {gold.ids[gi]!r}: the prediction's text differs from the gold text{why}",
                                 {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
            remaps[gi] = mapping
        elif p_text is None and p_sha is not None and p_sha != _sha(gold_text):
            raise InputError(f"document {gold.ids[gi]!r}: the prediction's text_sha256 differs from the SHA-256 of the gold text",
                             {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
        if p_text is not None and p_sha is not None and p_sha != _sha(p_text):
            raise InputError(f"document {gold.ids[gi]!r}: the prediction's text_sha256 is not the SHA-256 of its own text", {"pred": [gold.ids[gi]]})
    aligned = take_docs(pred, new_doc, len(gold), gold.ids, gold.texts)
    for gi, mapping in remaps.items():
        rows = np.flatnonzero(aligned.s_doc == gi)
        m = np.asarray(mapping, np.int64)
        over = rows[aligned.s_end[rows] >= len(m)]
        if len(over):
            r = int(over[0])
            raise InputError(f"document {gold.ids[gi]!r}: predicted span {aligned.s_ids[r]!r} ends at {int(aligned.s_end[r])}, beyond the prediction's text",
                             {"pred": [gold.ids[gi]]})
        aligned.s_start[rows] = m[aligned.s_start[rows]]
        aligned.s_end[rows] = m[aligned.s_end[rows]]
    if len(aligned.s_doc):
        lengths = np.fromiter((len(t or "") for t in gold.texts), np.int64, len(gold))
        over = np.flatnonzero(aligned.s_end > lengths[aligned.s_doc])
        if len(over):
            r = int(over[0])
            gi = int(aligned.s_doc[r])
            raise InputError(f"document {gold.ids[gi]!r}: predicted span {aligned.s_ids[r]!r} ends at {int(aligned.s_end[r])}, beyond the gold text ({int(lengths[gi])} characters)",
                             {"pred": [gold.ids[gi]], "gold": [gold.ids[gi]]})
    return aligned, missing, extra
