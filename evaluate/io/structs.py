"""The record as msgspec structs: decoding a line checks its structure in C.

Required and unknown keys, types, integers that are really integers, and the closed value
sets (labels, attribute values, genres... as Literal types) are checked while decoding;
the rules that look at several fields at once are `io.fast_read`'s.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ittifaq.evaluate import schema as S

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

# Closed value sets as Literal types: msgspec checks them in C and hands back the one
# interned string of the schema, so numbering them later hashes nothing.
_SpanLabel = Literal[S.SPAN_LABELS]  # type: ignore[valid-type]
_RelLabel = Literal[S.RELATION_LABELS]  # type: ignore[valid-type]
_AgreementType = Literal[S.ATTRIBUTES["agreement_type"][1]] | None  # type: ignore[valid-type]
_Status = Literal[S.ATTRIBUTES["status"][1]] | None  # type: ignore[valid-type]
_QuoteKind = Literal[S.ATTRIBUTES["quote_kind"][1]] | None  # type: ignore[valid-type]
_SourceRole = Literal[S.ATTRIBUTES["source_role"][1]] | None  # type: ignore[valid-type]
_Genre = Literal[S.GENRES] | None  # type: ignore[valid-type]
_Region = Literal[S.REGIONS] | None  # type: ignore[valid-type]
_Split = Literal[S.SPLITS] | None  # type: ignore[valid-type]
_Origin = Literal[S.ORIGINS] | None  # type: ignore[valid-type]


class _GoldAttrs(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    agreement_type: _AgreementType
    status: _Status
    quote_kind: _QuoteKind
    source_role: _SourceRole


class _PredAttrs(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    agreement_type: _AgreementType = None
    status: _Status = None
    quote_kind: _QuoteKind = None
    source_role: _SourceRole = None


class _GoldSpan(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    start: int
    end: int
    text: str
    label: _SpanLabel
    entity: str | None
    attributes: _GoldAttrs


class _PredSpan(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    start: int
    end: int
    label: _SpanLabel
    text: str | Unset = UNSET
    entity: str | None = None
    attributes: _PredAttrs = _PredAttrs()  # absent = all None (one shared instance)


class _PredSpanAnyLabel(_PredSpan, forbid_unknown_fields=True, gc=False):
    """With `--unknown-labels spurious`: any label string."""

    label: str


class _Rel(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    label: _RelLabel
    head: str
    tail: str


class _GoldDoc(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    title: str | None
    text: str
    date: str | None
    genre: _Genre
    region: _Region
    split: _Split
    grounding: list[str]
    origin: _Origin
    annotators: list[str]
    spans: list[_GoldSpan]
    relations: list[_Rel]


class _PredDoc(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    spans: list[_PredSpan]
    relations: list[_Rel]
    text: str | Unset = UNSET
    title: str | None = None
    date: str | None = None
    genre: _Genre = None
    region: _Region = None
    split: _Split = None
    grounding: list[str] = []
    origin: _Origin = None
    annotators: list[str] = []
    text_sha256: str | Unset = UNSET


class _PredDocAnyLabel(_PredDoc, forbid_unknown_fields=True):
    spans: list[_PredSpanAnyLabel]


class _PredSpanObj(_PredSpan, forbid_unknown_fields=True, gc=False):
    """A predicted `Span` given in memory: the dataclass needs a text, so "" is a text not given."""

    text: str = ""


class _PredSpanObjAnyLabel(_PredSpanObj, forbid_unknown_fields=True, gc=False):
    label: str


class _PredDocObj(_PredDoc, forbid_unknown_fields=True):
    """A predicted `Document` given in memory: None stands for an absent text or hash."""

    spans: list[_PredSpanObj]
    text: str | None = None
    text_sha256: str | None = None


class _PredDocObjAnyLabel(_PredDocObj, forbid_unknown_fields=True):
    spans: list[_PredSpanObjAnyLabel]


EMPTY_ATTRS = {False: _GoldAttrs(None, None, None, None), True: _PredAttrs()}
#: (predictions, allow unknown span labels) -> decoder
DECODERS = {
    (False, False): msgspec.json.Decoder(_GoldDoc),
    (True, False): msgspec.json.Decoder(_PredDoc),
    (True, True): msgspec.json.Decoder(_PredDocAnyLabel),
}

#: The same, for `Document` objects (msgspec.convert checks their fields' types as decoding does).
OBJECT_TYPES = {
    (False, False): list[_GoldDoc],
    (True, False): list[_PredDocObj],
    (True, True): list[_PredDocObjAnyLabel],
}
