"""Span attributes (agreement_type, status, quote_kind, source_role): keyword rules and a learned classifier.

`rule_attributes` is what the `rules` baseline uses: bundled keyword lexicons
(lexicons/agreement_types.txt, agreement_status.txt, source_roles.txt) looked up in
the span, then its sentence; quote_kind is "direct" when the quote touches a
quotation mark. When no keyword fires, the training split's most frequent value.

`AttributeModel` is what `crf` and `spacy` use: per attribute a logistic regression
over the span's words, its sentence's words, the keyword hits above and whether the
span is next to quotation marks, trained on gold spans of the training split.
`transformer` adds dense features of the span (`span_features`, one function per
document: the encoder's pooled span vector, `baselines.span_vectors`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from ittifaq.baselines.features import QUOTE_MARKS, TokenView, keyword_map
from ittifaq.baselines.linear import Features, LinearClassifier
from ittifaq.baselines.relations import _token_range
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.schema import ATTRIBUTES, Attributes, Document

#: A document's extra features of a span (start, end), e.g. the encoder's pooled span vector.
SpanFeatures = Callable[[int, int], Features]

LEXICON_OF = {"agreement_type": "agreement_types", "status": "agreement_status", "source_role": "source_roles"}


def _context(view: TokenView, start: int, end: int) -> tuple[list[str], list[str], list[str], bool]:
    """Words of the span, of its sentence before it, of its sentence after it, and whether a quote mark touches it."""
    i, j = _token_range(view, start, end)
    sid = view.sent[i]
    before = [view.norm[k] for k in range(i - 1, -1, -1) if view.sent[k] == sid]
    after = [view.norm[k] for k in range(j + 1, len(view)) if view.sent[k] == view.sent[j]]
    marked = (i > 0 and view.words[i - 1] in QUOTE_MARKS) or (j + 1 < len(view) and view.words[j + 1] in QUOTE_MARKS)
    marked = marked or view.words[i] in QUOTE_MARKS or view.words[j] in QUOTE_MARKS
    return view.norm[i : j + 1], before, after, marked


def _first_hit(words: Sequence[str], lexicon: dict[str, str]) -> str | None:
    for w in words:
        if w in lexicon:
            return lexicon[w]
    return None


def majority_values(docs: Sequence[Document]) -> dict[str, str | None]:
    """The most frequent value of each attribute in `docs` (None if never set)."""
    counts: dict[str, Counter[str]] = {a: Counter() for a in ATTRIBUTES}
    for doc in docs:
        for s in doc.spans:
            for name, value in s.attributes.to_dict().items():
                if value is not None:
                    counts[name][value] += 1
    return {a: (c.most_common(1)[0][0] if c else None) for a, c in counts.items()}


def rule_attributes(view: TokenView, start: int, end: int, label: str, default: dict[str, str | None]) -> Attributes:
    """Keyword rules; see the module docstring."""
    span, before, after, marked = _context(view, start, end)
    if label == "AGREEMENT":
        types = keyword_map(LEXICON_OF["agreement_type"])
        status = keyword_map(LEXICON_OF["status"])
        return Attributes(
            agreement_type=_first_hit(span, types) or _first_hit(before + after, types) or default["agreement_type"],
            status=_first_hit(before, status) or _first_hit(span + after, status) or default["status"],
        )
    if label == "QUOTE":
        roles = keyword_map(LEXICON_OF["source_role"])
        return Attributes(
            quote_kind="direct" if marked else "indirect",
            source_role=_first_hit(before, roles) or _first_hit(after, roles) or default["source_role"],
        )
    return Attributes()


def attribute_features(view: TokenView, start: int, end: int, label: str) -> Features:
    span, before, after, marked = _context(view, start, end)
    f: Features = {"label": label, "marked": marked}
    for w in span[:12]:
        f[f"w={w}"] = 1.0
    for w in before[:8]:
        f[f"b={w}"] = 1.0
    for w in after[:8]:
        f[f"a={w}"] = 1.0
    for attr, lex in LEXICON_OF.items():
        for where, words in (("span", span), ("before", before), ("after", after)):
            hit = _first_hit(words, keyword_map(lex))
            if hit:
                f[f"kw:{attr}:{where}={hit}"] = 1.0
    return f


def _with(f: Features, extra: SpanFeatures | None, start: int, end: int) -> Features:
    if extra is not None:
        f.update(extra(start, end))
    return f


class AttributeModel:
    """One classifier per attribute, trained on the gold spans that carry it."""

    def __init__(self, models: dict[str, LinearClassifier] | None = None) -> None:
        self.models = models or {}

    @classmethod
    def train(cls, docs: Sequence[tuple[Document, TokenView]], c: float = 1.0, seed: int = 0,
              span_features: Sequence[SpanFeatures] | None = None) -> AttributeModel:
        """Fit on the gold spans; `span_features` (one per document) adds dense features."""
        xs: dict[str, list[Features]] = {a: [] for a in ATTRIBUTES}
        ys: dict[str, list[str]] = {a: [] for a in ATTRIBUTES}
        for k, (doc, view) in enumerate(docs):
            extra = span_features[k] if span_features is not None else None
            for s in doc.spans:
                values = s.attributes.to_dict()
                f = None
                for attr, (label, _) in ATTRIBUTES.items():
                    if s.label == label and values[attr] is not None:
                        f = f or _with(attribute_features(view, s.start, s.end, s.label), extra, s.start, s.end)
                        xs[attr].append(f)
                        ys[attr].append(values[attr])
        return cls({a: LinearClassifier.fit(xs[a], ys[a], c=c, seed=seed) for a in ATTRIBUTES})

    def predict(self, view: TokenView, start: int, end: int, label: str,
                span_features: SpanFeatures | None = None) -> Attributes:
        values: dict[str, str | None] = {}
        f = None
        for attr, (owner, _) in ATTRIBUTES.items():
            clf = self.models.get(attr)
            if owner != label or clf is None or not clf.classes:
                continue
            f = f or _with(attribute_features(view, start, end, label), span_features, start, end)
            values[attr] = clf.predict([f])[0]
        return Attributes(**values)

    def save(self, directory: Path) -> None:
        for attr, clf in self.models.items():
            clf.save(directory, f"attribute_{attr}")
        write_text_atomic(directory / "attributes.json", json.dumps({"attributes": sorted(self.models)}))

    @classmethod
    def load(cls, directory: Path) -> AttributeModel:
        meta = json.loads((directory / "attributes.json").read_text(encoding="utf-8"))
        return cls({a: LinearClassifier.load(directory, f"attribute_{a}") for a in meta["attributes"]})
