"""The score report's tree, declared once: every figure's path, the row it is shown in, and its kind.

`scoring.metrics` computes the figures under these paths, `scoring.report` fills them in,
`render.tables` shows one row per node, and `compare` and the leaderboard pick figures by
the constructors below, so a key renamed here is renamed everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ittifaq.evaluate.schema import ATTRIBUTE_KEYS, LAYERS, RELATION_LABELS, SPAN_LABELS

#: Span schemes (when a predicted span is correct for a gold span it overlaps) and relation modes
#: (when a predicted relation is correct), in report order; their rules are `scoring.counts`'.
SCHEMES: tuple[str, ...] = ("strict", "exact", "partial", "type", "clitic")
REL_MODES: tuple[str, ...] = ("strict", "boundaries", "relaxed", "entity")

#: The quotes section: figures of quotations, some of them figures of the span and relation
#: sections seen from the quotes' side (`QUOTE_ALIASES`).
QUOTE_FIGURES: tuple[str, ...] = ("content_strict", "content_tokens", "cue", "speaker_strict", "speaker_entity")
#: The same for quotes whose gold speaker role is analyst (no strict speaker: roles are on the quote).
ANALYST_FIGURES: tuple[str, ...] = ("content_strict", "content_tokens", "cue", "speaker_entity")


def span_figure(scheme: str, level: str, name: str | None = None) -> tuple[str, ...]:
    """`level` is micro, macro, per_layer (name: a layer) or per_label (name: a span label)."""
    return ("spans", scheme, level) if name is None else ("spans", scheme, level, name)


def relation_figure(mode: str, level: str, label: str | None = None) -> tuple[str, ...]:
    """`level` is micro, macro or per_label (label: a relation label)."""
    return ("relations", mode, level) if label is None else ("relations", mode, level, label)


def attribute_figure(name: str) -> tuple[str, ...]:
    return ("attributes", name)


def quote_figure(name: str, analyst: bool = False) -> tuple[str, ...]:
    return ("quotes", "analyst", name) if analyst else ("quotes", name)


#: Quote figures that are another section's figure.
QUOTE_ALIASES: dict[str, tuple[str, ...]] = {
    "content_strict": span_figure("strict", "per_label", "QUOTE"),
    "cue": relation_figure("strict", "per_label", "cue"),
    "speaker_strict": relation_figure("strict", "per_label", "speaker"),
    "speaker_entity": relation_figure("entity", "per_label", "speaker"),
}


class Node(NamedTuple):
    """One figure: where it is in the report, and its table row (section, scheme, level, name)."""

    path: tuple[str, ...]
    row: tuple[str, str, str, str]
    #: "prf": P, R, F1, interval and counts; "accuracy": accuracy, interval and correct/total.
    kind: str = "prf"


def nodes(extra_span_labels: Iterable[str] = ()) -> list[Node]:
    """Every figure of a report in table order; `extra_span_labels` are labels outside the schema
    that a report lists after the schema's (predicted spans scored as spurious)."""
    out: list[Node] = []
    span_labels = (*SPAN_LABELS, *extra_span_labels)
    for scheme in SCHEMES:
        out += [Node(span_figure(scheme, level), ("spans", scheme, level, "")) for level in ("micro", "macro")]
        out += [Node(span_figure(scheme, "per_layer", layer), ("spans", scheme, "layer", layer)) for layer in LAYERS]
        out += [Node(span_figure(scheme, "per_label", label), ("spans", scheme, "label", label)) for label in span_labels]
    for mode in REL_MODES:
        out += [Node(relation_figure(mode, level), ("relations", mode, level, "")) for level in ("micro", "macro")]
        out += [Node(relation_figure(mode, "per_label", label), ("relations", mode, "label", label)) for label in RELATION_LABELS]
    out += [Node(attribute_figure(name), ("attributes", name, "accuracy", ""), "accuracy") for name in ATTRIBUTE_KEYS]
    out += [Node(quote_figure(name), ("quotes", name, "", "")) for name in QUOTE_FIGURES]
    out += [Node(quote_figure(name, analyst=True), ("quotes", "analyst", name, "")) for name in ANALYST_FIGURES]
    return out
