"""The record as msgspec structs, made from `schema.RECORDS`: decoding a line checks its structure in C.

Required and unknown keys, types, integers that are really integers, and the closed value
sets (labels, attribute values, genres... as Literal types) are checked while decoding;
the rules that look at several fields at once are `io.fast_read`'s. Nothing here names a
field: every struct is generated from the schema's field table, so a field added there is
decoded here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from ittifaq.evaluate import schema as S

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

#: (predictions, any span label, in-memory `Document`s, every JSON Schema constraint)
Variant = tuple[bool, bool, bool, bool]

#: Records that are many per document: no cyclic-GC tracking (they hold no cycles).
_LEAF = frozenset(("attributes", "span", "relation"))


def _type(f: S.Field, variant: Variant) -> Any:
    """The Python type msgspec checks for one key. Closed value sets are Literal types: msgspec checks
    them in C and hands back the one interned string of the schema, so numbering them hashes nothing."""
    predictions, any_label, in_memory, exact = variant
    if f.kind in ("record", "records"):
        inner = _struct(f.of or "", variant)
        return inner if f.kind == "record" else list[inner]  # type: ignore[valid-type]
    if f.kind == "strings":
        return list[str]
    if f.kind == "integer":
        return Annotated[int, msgspec.Meta(ge=f.minimum)] if exact and f.minimum is not None else int
    base: Any = str if f.values is None or (any_label and f.name == "label") else Literal[f.values]
    if exact and f.pattern is not None:
        base = Annotated[str, msgspec.Meta(pattern=rf"\A(?:{f.pattern})\Z")]
    return base | None if f.nullable else base


def _default(f: S.Field, variant: Variant, record: str) -> Any:
    """What an absent optional key of a prediction stands for."""
    if f.nullable:
        return None
    if f.kind == "strings":
        return []
    if f.kind == "record":
        return _struct(f.of or "", variant)()  # all None: one shared, frozen instance
    return UNSET


_CACHE: dict[tuple[str, Variant], type] = {}


def _struct(record: str, variant: Variant) -> type:
    """The struct of one record for a variant."""
    if record in ("attributes", "relation"):
        variant = (variant[0], False, False, variant[3])  # the same struct whatever the span labels or the source
    key = (record, variant)
    if key in _CACHE:
        return _CACHE[key]
    predictions, _, in_memory, _ = variant
    fields: list[Any] = []
    for f in S.RECORDS[record]:
        if f.pred_only and not predictions:
            continue
        typ = _type(f, variant)
        if not predictions or f.pred:
            fields.append((f.name, typ))
            continue
        default = _default(f, variant, record)
        if default is UNSET:
            # An absent text: UNSET when decoded; in a `Document` None (a span's text: "", as
            # `Document.from_dict` reads a record without one).
            if in_memory:
                typ, default = (str, "") if record == "span" else (typ | None, None)
            else:
                typ = typ | Unset
        fields.append((f.name, typ, default))
    struct = msgspec.defstruct(
        f"{'Pred' if predictions else 'Gold'}_{record}",
        fields,
        kw_only=True,
        forbid_unknown_fields=True,
        frozen=record == "attributes",
        gc=record not in _LEAF,
    )
    _CACHE[key] = struct
    return struct


_GOLD: Variant = (False, False, False, False)
EMPTY_ATTRS = {
    False: _struct("attributes", _GOLD)(**dict.fromkeys(S.ATTRIBUTE_KEYS)),
    True: _struct("attributes", (True, False, False, False))(),
}
#: (predictions, allow unknown span labels) -> decoder. Patterns (ids, dates) are checked by
#: `io.fast_read` over distinct values, faster than once per occurrence.
DECODERS = {
    (p, a): msgspec.json.Decoder(_struct("document", (p, a, False, False)))
    for p, a in ((False, False), (True, False), (True, True))
}
#: The same, for `Document` objects (msgspec.convert checks their fields' types as decoding does).
OBJECT_TYPES = {
    (False, False): list[_struct("document", _GOLD)],  # type: ignore[misc]
    (True, False): list[_struct("document", (True, False, True, False))],  # type: ignore[misc]
    (True, True): list[_struct("document", (True, True, True, False))],  # type: ignore[misc]
}
#: One parsed record with every JSON Schema constraint: if it converts, the JSON Schema surely holds
#: (the converse need not: msgspec refuses 3.0 as an integer, which jsonschema accepts).
EXACT_TYPES = {p: _struct("document", (p, False, False, True)) for p in (False, True)}
