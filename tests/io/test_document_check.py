"""`score` holds `Document` objects given in memory to the rules their JSONL would meet.

The same single-fault variants that `test_fast_read` writes to files are built here as
objects: whatever the in-memory checks accept must be valid for the validator, and
scoring a faulty document is an InputError naming it, never a traceback or a score.
"""

from __future__ import annotations

import copy
import random

import pytest
from test_fast_read import _same, _semantic_mutations
from test_validation import _mutations

from ittifaq.evaluate.columns import from_documents
from ittifaq.evaluate.io.document_check import problems_of
from ittifaq.evaluate.io.documents import CORPUS_DATA, read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.fast_read import read_objects
from ittifaq.evaluate.schema import Document, Relation
from ittifaq.evaluate.scoring.pipeline import score


def _document(rec) -> Document | None:
    """The object a program could build from a faulty record (None where no object can hold it)."""
    try:
        return Document.from_dict(rec)
    except (KeyError, TypeError, AttributeError):
        return None


def _as_prediction(doc: Document, rng: random.Random) -> Document:
    doc = copy.deepcopy(doc)
    for s in doc.spans:
        if rng.random() < 0.5:
            s.text = ""  # a span text not given
        if rng.random() < 0.5:
            s.entity = None
    if rng.random() < 0.5:
        doc.text = None
    return doc


@pytest.mark.parametrize("predictions", [False, True])
def test_never_accepts_what_the_validator_rejects(gold_record, predictions):
    rng = random.Random(5)
    cases = list(_mutations(gold_record)) + _semantic_mutations(gold_record, rng)
    accepted = rejected = 0
    for rec in cases:
        doc = _document(rec)
        if doc is None:
            continue
        if predictions:
            doc = _as_prediction(doc, rng)
        batch = read_objects([doc], predictions=predictions)
        problems = problems_of([doc], predictions=predictions)
        if batch is None:
            rejected += 1
        else:
            accepted += 1
            assert problems == [], (rec, [str(p) for p in problems])
            _same(batch, from_documents([doc], gold=not predictions))
        # Whatever the fault, scoring either works or says what is wrong (a prediction whose id
        # was changed is skipped as extra, after its check).
        gold = Document.from_dict(gold_record)
        try:
            score([gold], [doc], n_boot=0, ignore_extra=True) if predictions else score([doc], [], n_boot=0)
        except InputError as exc:
            assert problems or "text" in str(exc), str(exc)
        else:
            assert not problems, [str(p) for p in problems]
    assert accepted >= 10 and rejected >= 100, (accepted, rejected)


def test_in_memory_errors_name_the_document_field_and_rule():
    gold = read_documents([CORPUS_DATA / "test.jsonl"])
    pred = copy.deepcopy(gold)
    doc = pred[2]
    org = next(s for s in doc.spans if s.label == "ORG")
    gpe = next(s for s in doc.spans if s.label == "GPE")
    doc.relations.append(Relation("zz", "party", org.id, gpe.id))
    doc.spans[0].start = 3.0
    with pytest.raises(InputError) as info:
        score(gold, pred, n_boot=0)
    message = str(info.value)
    assert "2 problem(s) in the predicted documents given in memory" in message
    assert f"<predicted documents>:3 | doc {doc.id} | relation zz | field relations[{len(doc.relations) - 1}].head | [bad-relation-pair]" in message
    assert f"<predicted documents>:3 | doc {doc.id} | span {doc.spans[0].id} | field spans[0].start | [wrong-type]" in message
    # Gold is held to the gold rules: an actor without its entity.
    bad_gold = copy.deepcopy(gold)
    actor = next(s for s in bad_gold[0].spans if s.label == "PER")
    actor.entity = None
    with pytest.raises(InputError, match=r"<gold documents>:1 .* \[entity-missing\]"):
        score(bad_gold, gold, n_boot=0)
    # Not a Document at all, and a document given twice.
    with pytest.raises(InputError, match=r"\[wrong-type\] expected a Document, got dict"):
        score(gold, [*pred[:1], {"id": "x"}], n_boot=0)
    with pytest.raises(InputError, match=r"\[duplicate-document\]"):
        score(gold, [gold[0], gold[0]], n_boot=0)


def test_validated_documents_score_the_same_with_or_without_the_check():
    gold = read_documents([CORPUS_DATA / "test.jsonl"])
    rng = random.Random(3)
    pred = [_as_prediction(d, rng) for d in gold]
    assert read_objects(pred, predictions=True) is not None
    assert score(gold, pred, n_boot=0).to_dict() == score(gold, pred, n_boot=0, validate=False).to_dict()
    # validate=False trusts the caller: the same faulty document is then scored as it stands.
    pred[0].relations.append(Relation("zz", "cue", pred[0].spans[0].id, pred[0].spans[1].id))
    with pytest.raises(InputError):
        score(gold, pred, n_boot=0)
    score(gold, pred, n_boot=0, validate=False)


def test_unknown_labels_pass_only_when_counted_as_spurious():
    gold = read_documents([CORPUS_DATA / "test.jsonl"])
    pred = copy.deepcopy(gold)
    next(sp for sp in pred[0].spans if sp.label == "CUE").label = "EVENT"  # a cue's relation now points at it
    with pytest.raises(InputError):
        score(gold, pred, n_boot=0)
    rep = score(gold, pred, n_boot=0, unknown_labels="spurious").to_dict()
    assert rep["spans"]["strict"]["per_label"]["<unknown>"]["counts"]["spurious"] == 1
