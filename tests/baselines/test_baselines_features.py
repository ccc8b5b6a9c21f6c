"""The shared token view, BIO layers, entity ids and the pickle-free linear model."""

from __future__ import annotations

import numpy as np
from support import FIXTURES

from ittifaq.baselines.features import gold_view, layer_spans, make_view, normalize, tokenizer_lexicon
from ittifaq.baselines.interface import assign_entities
from ittifaq.baselines.linear import LinearClassifier
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.schema import LAYERS, Attributes, Document, Span
from ittifaq.evaluate.text.tokenize import bio_tags


def test_every_gold_span_aligns_with_training_tokens():
    docs = read_documents([FIXTURES / f"baselines_{s}.jsonl" for s in ("train", "validation", "test")])
    lex = tokenizer_lexicon(docs)
    for doc in docs:
        view = gold_view(doc, lex)
        starts, ends = view.token_index()
        for s in doc.spans:
            assert s.start in starts and s.end in ends, (doc.id, s.id)
        for layer in LAYERS:
            spans, _ = layer_spans(doc, layer)
            bio_tags(view.tokens, spans)  # raises if misaligned


def test_prediction_tokens_cut_a_proclitic_before_a_known_name():
    view = make_view("وقال لافروف إن وروسيا ستوقع الاتفاق.", ["روسيا", "قال"])
    assert "روسيا" in view.words and "قال" in view.words
    assert view.words[-1] == "." and len(set(view.sent)) == 1


def test_nested_spans_of_one_layer_keep_the_longest_and_count_the_rest():
    text = "بنك غازبروم يوقع"
    doc = Document(
        id="d",
        text=text,
        spans=[Span("T1", 0, 11, text[0:11], "ORG"), Span("T2", 4, 11, text[4:11], "ORG")],
    )
    kept, dropped = layer_spans(doc, "actors")
    assert kept == [(0, 11, "ORG")] and dropped == 1


def test_entity_ids_join_same_surface_and_last_name():
    text = "قال يوسف عمر إن عمر وروسيا و روسيا"
    a = Attributes()
    spans = [(4, 12, "PER", a), (16, 19, "PER", a), (21, 26, "GPE", a), (29, 34, "GPE", a)]
    ids = assign_entities(spans, text)
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_normalize_folds_spelling_variants():
    assert normalize("أكّد") == normalize("اكد")
    assert normalize("اتفاقية") == normalize("اتفاقيه")


def test_linear_classifier_round_trips_without_pickle(tmp_path):
    xs = [{"w": "a", "n": 1.0}, {"w": "b", "n": 0.0}, {"w": "c", "n": 2.0}, {"w": "a", "n": 0.5}]
    ys = ["x", "y", "z", "x"]
    clf = LinearClassifier.fit(xs, ys, seed=0)
    clf.save(tmp_path, "m")
    back = LinearClassifier.load(tmp_path, "m")
    assert np.allclose(clf.predict_proba(xs), back.predict_proba(xs))
    assert back.predict(xs) == clf.predict(xs)
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from ittifaq.baselines.linear import _expand

    vec = DictVectorizer(sort=True)
    ref = LogisticRegression(max_iter=2000, random_state=0).fit(vec.fit_transform([_expand(x) for x in xs]), ys)
    assert np.allclose(ref.predict_proba(vec.transform([_expand(x) for x in xs])), clf.predict_proba(xs))
    single = LinearClassifier.fit(xs, ["x"] * 4)
    assert single.predict(xs) == ["x"] * 4
