"""`schema.RECORDS` is the one statement of the record: everything else is made from it or agrees with it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import msgspec
import pytest

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.authoring.build import SCHEMA_FILES, schema_file
from ittifaq.evaluate.io import structs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_schema_files_are_not_stale(name: str) -> None:
    committed = (ROOT / "corpus" / name).read_bytes()
    assert committed == schema_file(SCHEMA_FILES[name]), f"corpus/{name} is stale: run `ittifaq corpus build`"


@pytest.mark.parametrize(
    ("cls", "record", "predictions"),
    [(S.Document, "document", True), (S.Span, "span", False), (S.Relation, "relation", False), (S.Attributes, "attributes", False)],
)
def test_dataclasses_have_the_fields_of_the_table(cls: type, record: str, predictions: bool) -> None:
    assert {f.name for f in dataclasses.fields(cls)} == set(S.keys(record, predictions))


def test_positional_dataclasses_follow_the_table() -> None:
    # `Document.from_dict` builds these positionally from the table's key order.
    assert tuple(f.name for f in dataclasses.fields(S.Attributes)) == S.ATTRIBUTE_KEYS
    assert tuple(f.name for f in dataclasses.fields(S.Relation)) == S.RELATION_KEYS


@pytest.mark.parametrize("predictions", [False, True])
def test_structs_carry_exactly_the_keys_of_the_table(predictions: bool) -> None:
    doc = structs.DECODERS[predictions, False].type
    assert set(doc.__struct_fields__) == set(S.keys("document", predictions))
    required = {f.name for f in S.RECORDS["document"] if (f.pred if predictions else not f.pred_only)}
    info = msgspec.inspect.type_info(doc)
    assert {f.name for f in info.fields if f.required} == required


def test_a_value_added_to_a_value_set_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    # The structs read the value sets from the table: a genre outside it is refused.
    rec = {k: None for k in S.DOC_KEYS} | {"id": "d1", "text": "نص", "grounding": [], "annotators": [], "spans": [], "relations": []}
    dec = structs.DECODERS[False, False]
    assert dec.decode(msgspec.json.encode(rec | {"genre": S.GENRES[0]})).genre == S.GENRES[0]
    with pytest.raises(msgspec.ValidationError):
        dec.decode(msgspec.json.encode(rec | {"genre": "blog"}))


@pytest.mark.parametrize("predictions", [False, True])
def test_exact_structs_refuse_what_the_json_schema_refuses(predictions: bool) -> None:
    from ittifaq.evaluate.io.validation import structure_ok

    base = {k: None for k in S.DOC_KEYS} | {"id": "d1", "text": "نص", "grounding": [], "annotators": [], "spans": [], "relations": []}
    assert structure_ok(base, predictions)
    for bad in ({"id": "d1\n"}, {"id": "D1"}, {"id": "d" * (S.ID_MAX_LENGTH + 1)}, {"date": "2020-1-01"}, {"genre": "blog"}):
        assert not structure_ok(base | bad, predictions), bad
    span = {"id": "T1", "start": 0, "end": 1, "text": "ن", "label": "PER", "entity": "e1", "attributes": dict.fromkeys(S.ATTRIBUTE_KEYS)}
    assert structure_ok(base | {"spans": [span]}, predictions)
    for bad in ({"start": -1}, {"end": 0}, {"id": "T1\n"}, {"label": "PERSON"}, {"start": True}):
        assert not structure_ok(base | {"spans": [span | bad]}, predictions), bad
