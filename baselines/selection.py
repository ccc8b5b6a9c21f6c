"""The hyper-parameter selection criterion: strict span F1 of some labels on the validation split.

It asks the project scorer (ittifaq.evaluate.scoring) for the per-label counts, with no
bootstrap, so selection and the benchmark measure spans the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ittifaq.evaluate.schema import Document


def layer_f1(gold: Sequence[Document], pred: Sequence[Document], labels: Sequence[str]) -> float:
    """Strict micro F1 over `labels` (0.0 when there is nothing to find and nothing found)."""
    tp = fp = fn = 0
    by_id = {d.id: d for d in pred}
    for g in gold:
        gs = {(s.start, s.end, s.label) for s in g.spans if s.label in labels}
        p = by_id.get(g.id)
        ps = {(s.start, s.end, s.label) for s in p.spans if s.label in labels} if p else set()
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
