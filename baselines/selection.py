"""The hyper-parameter selection criterion: strict span F1 of some labels on the validation split.

It asks the project scorer (ittifaq.evaluate.scoring.pipeline) for the per-label counts, with no
bootstrap, so selection and the benchmark measure spans the same way. Only the
validation split is ever passed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ittifaq.evaluate.schema import Document


def layer_f1(gold: Sequence[Document], pred: Sequence[Document], labels: Sequence[str]) -> float:
    """Strict micro F1 over `labels` (0.0 when nothing is found)."""
    from ittifaq.evaluate.scoring.pipeline import score

    per_label = score(list(gold), list(pred), n_boot=0).to_dict()["spans"]["strict"]["per_label"]
    correct = sum(per_label[lab]["counts"]["correct"] for lab in labels)
    possible = sum(per_label[lab]["counts"]["possible"] for lab in labels)
    actual = sum(per_label[lab]["counts"]["actual"] for lab in labels)
    return 0.0 if correct == 0 else 2 * correct / (possible + actual)
