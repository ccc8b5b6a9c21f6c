"""The spacy baseline's own pieces: span conversion, boundary finder, candidates, decoding, logistic loss."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
from support import FIXTURES, lazy

from ittifaq.baselines.features import gold_view, tokenizer_lexicon
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.schema import Document

# Imported on first use, not at collection: spaCy alone takes seconds to import.
spacy = lazy("spacy")
spacy_model = lazy("ittifaq.baselines.spacy_model")
thinc_api = lazy("thinc.api")


def _train_docs() -> list[Document]:
    return read_documents([FIXTURES / "baselines_train.jsonl"])


def test_gold_spans_go_to_tokens_and_back_to_the_same_offsets():
    docs = _train_docs()
    lex = frozenset(tokenizer_lexicon(docs))
    for doc in docs:
        view = gold_view(doc, lex)
        gold = [(s.start, s.end, s.label) for s in doc.spans]
        assert spacy_model.char_spans(view, spacy_model.token_spans(view, gold)) == gold


def test_training_example_holds_every_gold_span_of_its_chunk():
    docs = _train_docs()
    lex = frozenset(tokenizer_lexicon(docs))
    nlp = spacy_model.build_pipeline()
    for doc in docs:
        view = gold_view(doc, lex)
        seen = 0
        for lo, hi in spacy_model.chunks(doc, view):
            eg, _ = spacy_model.make_example(nlp, doc, view, lo, hi)
            ref = eg.reference
            base = view.tokens[lo][0]
            got = {(ref[s.start].idx + base, ref[s.end - 1].idx + len(ref[s.end - 1]) + base, s.label_) for s in ref.spans["sc"]}
            for label in ("AGREEMENT", "QUOTE"):
                assert {(s.start, s.end) for s in ref.spans[spacy_model.candidates_key(label)]} == {
                    (s.start, s.end) for s in ref.spans["sc"] if s.label_ == label
                }
            seen += len(got)
            for a, b, label in got:
                assert any(s.start == a and s.end == b and s.label == label for s in doc.spans)
        assert seen == sum(s.label in spacy_model.SPANCAT_LABELS for s in doc.spans), doc.id


def test_boundary_finder_pairs_scored_starts_with_scored_ends_and_ends_before_marks():
    nlp = spacy_model.build_pipeline()
    finder = nlp.get_pipe(spacy_model.finder_name("QUOTE"))
    words = ["قال", "إن", "السلام", "ممكن", "،", "وإن", "الحوار", "مستمر", "."]
    doc = spacy.tokens.Doc(nlp.vocab, words=words)
    scores = np.zeros((len(doc), 2), dtype="float32")
    scores[2, 0] = 0.9  # a start at السلام
    scores[6, 1] = 0.9  # a scored end at الحوار
    finder.cfg["threshold"] = 0.5
    finder.cfg["max_length"] = 5
    finder.set_annotations([doc], scores)
    found = {(s.start, s.end) for s in doc.spans[spacy_model.candidates_key("QUOTE")]}
    # ends: الحوار (scored), ممكن (before ،); مستمر (before .) is 6 tokens away, over max_length
    assert found == {(2, 4), (2, 7)}


def test_training_candidates_mix_gold_near_misses_and_cross_pairs():
    gold = [(2, 6), (10, 15)]
    cands = spacy_model.training_candidates(gold, [(0, 3)], n=20, max_length=13, rng=random.Random(0), extra_ends=[8])
    assert set(gold) <= set(cands) and (0, 3) in cands
    assert (2, 15) in cands and (2, 8) in cands  # one span's start with another's end or a mark
    assert all(0 < b - a <= 13 or (a, b) in {(0, 3), *gold} for a, b in cands)
    assert cands == sorted(set(cands))


def test_decode_applies_label_thresholds_and_keeps_the_best_of_overlapping_spans():
    nlp = spacy.blank("ar")
    doc = nlp.make_doc("أ ب ج د ه و ز ح")
    labelled = [((0, 4), "QUOTE"), ((0, 5), "QUOTE"), ((2, 3), "AGREEMENT"), ((6, 8), "QUOTE"), ((6, 7), "CUE")]
    group = spacy.tokens.SpanGroup(doc, spans=[spacy.tokens.Span(doc, i, j, label=lab) for (i, j), lab in labelled])
    group.attrs["scores"] = np.array([[0.6], [0.8], [0.7], [0.3], [0.35]], dtype="float32")
    out = spacy_model.decode(group, {"QUOTE": 0.5, "AGREEMENT": 0.5, "CUE": 0.4})
    # (0,5) beats the overlapping (0,4); the nested AGREEMENT stays; QUOTE (6,8) and CUE (6,7) fall under their thresholds
    assert [(i, j, lab) for i, j, lab, _ in out] == [(0, 5, "QUOTE"), (2, 3, "AGREEMENT")]


def test_logistic_loss_gives_the_cross_entropy_logit_gradient():
    fake = SimpleNamespace(model=SimpleNamespace(ops=thinc_api.NumpyOps()))
    probs = np.array([[0.001, 0.999], [0.5, 0.2]], dtype="float32")
    truth = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    fake.get_loss = lambda examples, scores: (0.0, scores - truth)
    spacy_model.use_logistic_loss(fake)
    loss, d_probs = fake.get_loss([], probs)
    # backprop through the sigmoid multiplies by p(1 - p): the logit gradient is p - y, not vanishing
    np.testing.assert_allclose(d_probs * probs * (1 - probs), probs - truth, rtol=1e-4)
    expected = -(np.log(0.001) + np.log(0.001) + np.log(0.5) + np.log(0.2))
    assert abs(loss - expected) < 1e-3


def test_doc_tokens_are_exactly_the_shared_tokens():
    docs = _train_docs()
    lex = frozenset(tokenizer_lexicon(docs))
    view = gold_view(docs[0], lex)
    doc = spacy_model.make_doc(spacy.blank("ar").vocab, view)
    assert [t.text for t in doc] == view.words
    assert [t.norm_ for t in doc] == view.norm
