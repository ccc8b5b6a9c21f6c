"""Token-level predictions back to character spans: shared by the CoNLL and `ner`-config importers.

Two steps, each strict so that a score is never computed on silently shifted spans:

* `locate_tokens`: each token is found in the document text right after the previous
  one, with only white space between (the project's tokenizer drops nothing else). A
  token that is not there, or text left over after the last token, is an error naming
  the document and the token index.
* `decode_iob2`: IOB2 tags to spans the way seqeval's strict IOB2 mode reads them
  (``seqeval.metrics.classification_report(..., mode="strict", scheme=IOB2)``): a span
  starts only at ``B-X`` and continues over ``I-X``. An ``I-X`` after ``O``, after a
  span of another type, or after another dropped tag starts nothing and is dropped
  (read as ``O``). Each dropped tag is counted (`ImportSummary.dropped_i`), so an
  import reports how much of a tagger's output it repaired. (The lenient conlleval
  reading, which would start a span at the orphan ``I-X``, is not used.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ittifaq.evaluate.io.errors import InputError

#: (first token, last token inclusive, label)
TokenSpan = tuple[int, int, str]


@dataclass
class ImportSummary:
    """What a token-level import read and what it repaired (printed by `ittifaq import`)."""

    documents: int = 0
    tokens: int = 0
    spans: int = 0
    #: orphan I- tags dropped (strict IOB2), by label
    dropped_i: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        dropped = sum(self.dropped_i.values())
        by_label = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped_i.items()))
        repairs = f"{dropped} orphan I- tag(s) dropped as seqeval's strict IOB2 mode does" + (
            f" ({by_label})" if dropped else "")
        return f"{self.documents} document(s), {self.tokens} token(s), {self.spans} span(s); {repairs}"


def locate_tokens(text: str, tokens: list[str], doc_id: str, where: str) -> list[tuple[int, int]]:
    """(start, end) of each token in `text`; every gap must be white space."""
    out: list[tuple[int, int]] = []
    pos = 0
    for k, tok in enumerate(tokens):
        if not tok or tok != tok.strip():
            raise InputError(f"{where}: doc {doc_id} | token {k} | {tok!r} is empty or has white space at an edge")
        at = text.find(tok, pos)
        if at < 0 or text[pos:at].strip():
            got = text[pos:].lstrip()[: len(tok)]
            raise InputError(
                f"{where}: doc {doc_id} | token {k} | {tok!r} does not match the document text "
                f"at character {pos} (the text has {got!r} there)"
            )
        out.append((at, at + len(tok)))
        pos = at + len(tok)
    if text[pos:].strip():
        raise InputError(
            f"{where}: doc {doc_id} | token {len(tokens)} | missing: the tokens end at character {pos}, "
            f"but the text goes on ({text[pos:].lstrip()[:20]!r}…)"
        )
    return out


def decode_iob2(tags: list[str], summary: ImportSummary | None = None) -> list[TokenSpan]:
    """Spans of tags in strict IOB2 (see the module docstring); orphan I- tags go to `summary`."""
    spans: list[TokenSpan] = []
    cur: list | None = None  # [first, last, label]
    for k, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "B" and label:
            if cur:
                spans.append((cur[0], cur[1], cur[2]))
            cur = [k, k, label]
        elif prefix == "I" and label and cur is not None and cur[2] == label:
            cur[1] = k
        else:
            if prefix == "I" and label and summary is not None:
                summary.dropped_i[label] += 1
            if cur:
                spans.append((cur[0], cur[1], cur[2]))
            cur = None
    if cur:
        spans.append((cur[0], cur[1], cur[2]))
    return spans


def check_tag(tag: str, labels: tuple[str, ...], doc_id: str, k: int, where: str) -> None:
    """A tag is O, or B-/I- followed by one of `labels`."""
    prefix, _, label = tag.partition("-")
    if tag != "O" and not (prefix in ("B", "I") and label in labels):
        raise InputError(f"{where}: doc {doc_id} | token {k} | unknown tag {tag!r} (O, B-X or I-X with X in {', '.join(labels)})")
