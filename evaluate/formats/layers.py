"""Token-level views of a document shared by the CoNLL and spaCy exports.

Tokens are cut at every span edge (and at proclitics), so every span of every layer
is a whole number of tokens and nothing shifts when spans become tags.
"""

from __future__ import annotations

from ittifaq.evaluate.schema import LAYERS, Document, Span
from ittifaq.evaluate.text.tokenize import tokenize

LAYER_OF: dict[str, str] = {label: layer for layer, labels in LAYERS.items() for label in labels}


def doc_tokens(doc: Document) -> list[tuple[int, int]]:
    """Proclitic-aware tokens of `doc`, cut at the edges of all its spans."""
    edges = [e for s in doc.spans for e in (s.start, s.end)]
    return tokenize(doc.text or "", boundaries=edges, split_proclitics=True)


def spans_by_layer(doc: Document) -> dict[str, list[Span]]:
    """The spans of each layer, in document order of the JSONL."""
    out: dict[str, list[Span]] = {layer: [] for layer in LAYERS}
    for s in doc.spans:
        out[LAYER_OF[s.label]].append(s)
    return out


def nesting_levels(spans: list[Span]) -> list[int]:
    """Level 0, 1, … per span so that spans on one level never overlap (outermost first).

    IOB2 holds one span per token; a layer whose spans nest (an ORG holding a GPE)
    needs one extra tag column per level instead of losing the inner span.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end))
    level_ends: list[list[tuple[int, int]]] = []
    levels = [0] * len(spans)
    for i in order:
        s = spans[i]
        for lvl, taken in enumerate(level_ends):
            if all(s.end <= a or s.start >= b for a, b in taken):
                taken.append((s.start, s.end))
                levels[i] = lvl
                break
        else:
            level_ends.append([(s.start, s.end)])
            levels[i] = len(level_ends) - 1
    return levels
