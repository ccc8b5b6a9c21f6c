"""Hand-worked span schemes, relation modes, attributes, quotes and input handling."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from support import TEXT, doc, span, spans_doc

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import LAYERS, SPAN_LABELS, Document, Relation
from ittifaq.evaluate.scoring.pipeline import score

GOLD = [(0, 5, "PER"), (10, 20, "ORG"), (30, 40, "GPE"), (50, 60, "PER")]
# a: correct; b: label error; c: boundary error; e, f: spurious; gold [50,60) missed.
PRED = [(0, 5, "PER"), (10, 20, "GPE"), (32, 40, "GPE"), (70, 75, "ORG"), (80, 85, "PER")]


def _report(gold, pred, **kw):
    """The report of toy documents, which test counting and need not be valid corpus gold
    (no entity ids, no speakers): `validate=False`."""
    kw.setdefault("n_boot", 0)
    kw.setdefault("validate", False)
    return score(gold, pred, **kw).to_dict()


@pytest.fixture(scope="module")
def rep():
    return _report([spans_doc("d1", GOLD)], [spans_doc("d1", PRED)])


def _c(fig):
    c = fig["counts"]
    return c["correct"], c["incorrect"], c["partial"], c["missed"], c["spurious"]


def test_strict_counts_and_asymmetric_prf(rep):
    m = rep["spans"]["strict"]["micro"]
    assert _c(m) == (1, 2, 0, 1, 2)
    assert m["p"] == pytest.approx(1 / 5) and m["r"] == pytest.approx(1 / 4)
    assert m["f1"] == pytest.approx(2 * 0.2 * 0.25 / 0.45, abs=1e-6)


def test_exact_partial_type(rep):
    e = rep["spans"]["exact"]["micro"]
    assert _c(e) == (2, 1, 0, 1, 2) and e["p"] == pytest.approx(0.4) and e["r"] == pytest.approx(0.5)
    p = rep["spans"]["partial"]["micro"]
    assert _c(p) == (2, 0, 1, 1, 2) and p["p"] == pytest.approx(2.5 / 5) and p["r"] == pytest.approx(2.5 / 4)
    t = rep["spans"]["type"]["micro"]
    assert _c(t) == (2, 1, 0, 1, 2) and t["p"] == pytest.approx(0.4) and t["r"] == pytest.approx(0.5)


def test_per_label_counts_add_up_to_micro(rep):
    for scheme, sec in rep["spans"].items():
        micro = sec["micro"]["counts"]
        labels = sec["per_label"].values()
        for key in ("correct", "incorrect", "partial", "missed", "spurious", "pred_correct", "pred_incorrect", "pred_partial", "possible", "actual"):
            assert sum(f["counts"][key] for f in labels) == micro[key], (scheme, key)
        layers = sec["per_layer"].values()
        assert sum(f["counts"]["possible"] for f in layers) == micro["possible"]
        assert sum(f["counts"]["actual"] for f in layers) == micro["actual"]


def test_per_label_strict_and_type_swap_decomposition(rep):
    per = rep["spans"]["strict"]["per_label"]
    assert per["PER"]["p"] == 0.5 and per["PER"]["r"] == 0.5
    # ORG gold span predicted as GPE: incorrect on ORG's gold side, on GPE's predicted side.
    assert per["ORG"]["counts"]["incorrect"] == 1 and per["ORG"]["r"] == 0.0
    assert per["GPE"]["counts"]["pred_incorrect"] == 2 and per["GPE"]["p"] == 0.0
    ex = rep["spans"]["exact"]["per_label"]
    assert ex["ORG"]["r"] == 1.0 and ex["GPE"]["p"] == 0.5


def test_macro_uses_schema_labels_and_states_exclusions(rep):
    mac = rep["spans"]["strict"]["macro"]
    assert mac["labels"] == ["PER", "ORG", "GPE"]
    assert mac["labels_excluded"] == ["AGREEMENT", "QUOTE", "CUE"]
    per = rep["spans"]["strict"]["per_label"]
    assert mac["f1"] == pytest.approx(sum(per[x]["f1"] for x in ("PER", "ORG", "GPE")) / 3, abs=1e-6)
    assert rep["labels"]["spans"] == list(SPAN_LABELS)
    assert set(rep["spans"]["strict"]["per_layer"]) == set(LAYERS)


def test_swapping_gold_and_prediction_swaps_p_and_r():
    a = _report([spans_doc("d1", GOLD)], [spans_doc("d1", PRED)])
    b = _report([spans_doc("d1", PRED)], [spans_doc("d1", GOLD)])
    for scheme in a["spans"]:
        assert a["spans"][scheme]["micro"]["p"] == b["spans"][scheme]["micro"]["r"]
        assert a["spans"][scheme]["micro"]["r"] == b["spans"][scheme]["micro"]["p"]


def test_clitic_scheme_accepts_proclitic_and_article_differences():
    jordan = TEXT.index("الأردن")
    cairo = TEXT.index("القاهرة")
    egypt = TEXT.index("مصر")
    gold = [(jordan, jordan + 6, "GPE"), (cairo, cairo + 7, "GPE"), (egypt, egypt + 3, "GPE")]
    pred = [(jordan - 1, jordan + 6, "GPE"), (cairo + 2, cairo + 7, "GPE"), (egypt, egypt + 3, "GPE")]
    rep = _report([spans_doc("d", gold, TEXT)], [spans_doc("d", pred, TEXT)])
    assert rep["spans"]["strict"]["micro"]["counts"]["correct"] == 1
    assert rep["spans"]["clitic"]["micro"]["counts"]["correct"] == 3
    # A different label is never clitic-correct; a non-clitic prefix is not either.
    pred2 = [(jordan - 1, jordan + 6, "ORG"), (cairo - 3, cairo + 7, "GPE")]
    rep2 = _report([spans_doc("d", gold[:2], TEXT)], [spans_doc("d", pred2, TEXT)])
    assert rep2["spans"]["clitic"]["micro"]["counts"]["correct"] == 0


def _rel_docs():
    x = TEXT.index("اتفاقية")
    eg, jo = TEXT.index("مصر"), TEXT.index("الأردن")
    q0 = TEXT.index("إن")
    s1 = TEXT.index("وزير")
    gold_spans = [
        span("X", x, x + 7, "AGREEMENT", text=TEXT, agreement_type="energy", status="signed"),
        span("EG", eg, eg + 3, "GPE", "E1", text=TEXT),
        span("JO", jo, jo + 6, "GPE", "E2", text=TEXT),
        span("Q", q0, len(TEXT) - 1, "QUOTE", text=TEXT, quote_kind="indirect", source_role="official"),
        span("S1", s1, s1 + 4, "PER", "P1", text=TEXT),
        span("S2", s1 + 5, s1 + 13, "PER", "P1", text=TEXT),  # a second mention of the same person (for the test)
    ]
    gold = doc("d", gold_spans, [("party", "X", "EG"), ("party", "X", "JO"), ("speaker", "Q", "S1")], text=TEXT)
    pred_spans = [
        span("x", x, x + 7, "AGREEMENT", text=TEXT, agreement_type="energy", status="planned"),
        span("eg", eg, eg + 3, "GPE", text=TEXT),
        span("jo", jo - 1, jo + 6, "GPE", text=TEXT),
        span("q", q0, len(TEXT) - 1, "QUOTE", text=TEXT, quote_kind="indirect", source_role="official"),
        span("s2", s1 + 5, s1 + 13, "PER", text=TEXT),
    ]
    pred = doc("d", pred_spans, [("party", "x", "eg"), ("party", "x", "jo"), ("speaker", "q", "s2"), ("affiliation", "s2", "eg")], text=TEXT)
    return gold, pred


def test_relation_modes_hand_worked():
    gold, pred = _rel_docs()
    rel = _report([gold], [pred])["relations"]
    def pr(mode):
        return rel[mode]["micro"]["counts"]["tp"], rel[mode]["micro"]["p"], rel[mode]["micro"]["r"]
    assert pr("strict") == (1, 0.25, pytest.approx(1 / 3, abs=1e-6))
    assert pr("boundaries") == (1, 0.25, pytest.approx(1 / 3, abs=1e-6))
    assert pr("relaxed") == (2, 0.5, pytest.approx(2 / 3, abs=1e-6))
    assert pr("entity") == (2, 0.5, pytest.approx(2 / 3, abs=1e-6))
    assert rel["entity"]["per_label"]["speaker"]["counts"]["tp"] == 1
    assert rel["strict"]["per_label"]["speaker"]["counts"]["tp"] == 0


def test_attributes_and_quotes():
    gold, pred = _rel_docs()
    rep = _report([gold], [pred])
    assert rep["attributes"]["agreement_type"] == {**rep["attributes"]["agreement_type"], "accuracy": 1.0, "correct": 1, "total": 1}
    assert rep["attributes"]["status"]["accuracy"] == 0.0
    assert rep["attributes"]["quote_kind"]["accuracy"] == 1.0
    q = rep["quotes"]
    assert q["content_strict"]["f1"] == 1.0 and q["content_tokens"]["f1"] == 1.0
    assert q["speaker_entity"]["r"] == 1.0 and q["speaker_strict"]["r"] == 0.0
    assert q["analyst"]["n_gold"] == 0


def test_analyst_subset_scored_apart_on_content_tokens_cue_and_speaker():
    # Hand-worked. Gold: an analyst quote (speaker S, cue C) and an official's quote (speaker O, cue D).
    # The system finds both quotes exactly but calls both analysts'; it gets the analyst's cue, names
    # her by another mention of her entity, and cuts the official's quote one word short.
    words = "قال سمير إن الاتفاق صامد وأضاف هو إن الحوار مستمر طويلا".split()
    text = " ".join(words)
    at = {w: text.index(w) for w in ("قال", "سمير", "الاتفاق", "وأضاف", "هو", "الحوار")}
    q1 = (at["الاتفاق"], at["الاتفاق"] + len("الاتفاق صامد"))
    q2 = (at["الحوار"], len(text))

    def sp(sid, a, b, label, entity=None, **attrs):
        return span(sid, a, b, label, entity, text=text, **attrs)

    gold = doc("d", [
        sp("C", at["قال"], at["قال"] + 3, "CUE"), sp("S", at["سمير"], at["سمير"] + 4, "PER", "E1"),
        sp("Q1", *q1, "QUOTE", quote_kind="indirect", source_role="analyst"),
        sp("D", at["وأضاف"] + 1, at["وأضاف"] + 5, "CUE"), sp("O", at["هو"], at["هو"] + 2, "PER", "E1"),
        sp("Q2", *q2, "QUOTE", quote_kind="indirect", source_role="official"),
    ], [("cue", "Q1", "C"), ("speaker", "Q1", "S"), ("cue", "Q2", "D"), ("speaker", "Q2", "O")], text=text)
    pred = doc("d", [
        sp("c", at["قال"], at["قال"] + 3, "CUE"), sp("o", at["هو"], at["هو"] + 2, "PER"),
        sp("q1", *q1, "QUOTE", quote_kind="indirect", source_role="analyst"),
        sp("q2", q2[0], q2[1] - len(" طويلا"), "QUOTE", quote_kind="indirect", source_role="analyst"),
    ], [("cue", "q1", "c"), ("speaker", "q1", "o")], text=text)
    an = _report([gold], [pred])["quotes"]["analyst"]
    assert an["n_gold"] == 1
    # Content: two predicted analyst quotes, one right and an analyst's in gold; the one gold analyst quote found.
    assert (an["content_strict"]["p"], an["content_strict"]["r"]) == (0.5, 1.0)
    # Tokens: predicted analyst quotes cover الاتفاق صامد + الحوار مستمر (4 tokens), gold analyst ones 2, shared 2.
    assert an["content_tokens"]["counts"] == {"pred_tokens_correct": 2, "pred_tokens": 4, "gold_tokens_found": 2, "gold_tokens": 2}
    assert an["cue"]["counts"] == {"pred_correct": 1, "pred": 1, "gold_found": 1, "gold": 1}
    # Speaker by entity: o is a mention of E1, Samir's entity, so the analyst's speaker is right.
    assert an["speaker_entity"]["counts"] == {"pred_correct": 1, "pred": 1, "gold_found": 1, "gold": 1}
    assert an["speaker_entity"]["f1"] == 1.0
    # The analyst's quote predicted as an official's: no longer in the predicted subset (precision),
    # still found (recall), on content and on its tokens alike.
    pred.spans[2].attributes.source_role = "official"
    an = _report([gold], [pred])["quotes"]["analyst"]
    assert an["content_strict"]["counts"] == {"gold": 1, "gold_found": 1, "pred": 1, "pred_correct": 0}
    assert an["content_tokens"]["counts"] == {"pred_tokens_correct": 0, "pred_tokens": 2, "gold_tokens_found": 2, "gold_tokens": 2}
    assert (an["content_tokens"]["p"], an["content_tokens"]["r"]) == (0.0, 1.0)


def test_duplicates_counted_once_and_reported():
    g = spans_doc("d", [(0, 5, "PER"), (10, 15, "ORG")])
    p = doc("d", [span("a", 0, 5, "PER"), span("b", 0, 5, "PER"), span("c", 10, 15, "ORG")],
            [("affiliation", "a", "c"), ("affiliation", "b", "c")])
    g.relations = [Relation("R", "affiliation", "T0", "T1")]
    rep = _report([g], [p])
    assert rep["spans"]["strict"]["micro"]["p"] == 1.0
    assert rep["relations"]["strict"]["micro"]["p"] == 1.0
    assert rep["duplicates"] == {"spans": 1, "relations": 1}
    assert any("duplicates" in w for w in rep["warnings"])


def test_ties_prefer_the_same_label_and_never_depend_on_input_order():
    # Two gold spans on the same characters (PER, ORG), one PER prediction. Under `exact` (labels
    # ignored) both pairs are correct; the tie goes to the pair of the same label, whatever the order.
    pred = spans_doc("d", [(0, 3, "PER")])
    for order in ([(0, 3, "PER"), (0, 3, "ORG")], [(0, 3, "ORG"), (0, 3, "PER")]):
        rep = _report([spans_doc("d", order)], [pred])
        for scheme in ("exact", "partial"):
            per = rep["spans"][scheme]["per_label"]
            assert (per["PER"]["r"], per["ORG"]["r"], rep["spans"][scheme]["macro"]["r"]) == (1.0, 0.0, 0.5), (scheme, order)
    # A full tie (a GPE prediction against both) is settled by the spans' keys: same answer both ways.
    pred = spans_doc("d", [(0, 3, "GPE")])
    reps = [_report([spans_doc("d", order)], [pred]) for order in ([(0, 3, "PER"), (0, 3, "ORG")], [(0, 3, "ORG"), (0, 3, "PER")])]
    assert reps[0]["spans"] == reps[1]["spans"]


def test_duplicate_predictions_keep_the_same_attributes_in_any_order():
    gold = doc("d", [span("g", 0, 3, "AGREEMENT", agreement_type="economic", status="signed")])
    a = span("a", 0, 3, "AGREEMENT", agreement_type="economic", status="signed")
    b = span("b", 0, 3, "AGREEMENT", agreement_type="military", status="denied")
    reps = [_report([gold], [doc("d", spans)]) for spans in ([a, b], [b, a])]
    assert reps[0]["attributes"] == reps[1]["attributes"] and reps[0]["duplicates"]["spans"] == 1


def test_macro_is_undefined_only_where_every_label_is():
    rep = _report([spans_doc("d", [(0, 3, "PER"), (5, 8, "ORG")])], [spans_doc("d", [])])
    m = rep["spans"]["strict"]["macro"]
    assert (m["p"], m["r"], m["f1"]) == (None, 0.0, 0.0)  # nothing predicted: P undefined, as micro
    rep = _report([spans_doc("d", [(0, 3, "PER"), (5, 8, "ORG")])], [spans_doc("d", [(0, 3, "PER")])])
    m = rep["spans"]["strict"]["macro"]
    assert (m["p"], m["r"]) == (0.5, 0.5)  # ORG never predicted: its P counts 0 (as seqeval, scikit-learn)


def test_empty_gold_and_prediction_are_explicit():
    rep = _report([spans_doc("d", [])], [spans_doc("d", [])])
    m = rep["spans"]["strict"]["micro"]
    assert (m["p"], m["r"], m["f1"]) == (None, None, None) and set(m["flags"]) == {"no_gold", "no_pred"}
    rep = _report([spans_doc("d", GOLD)], [spans_doc("d", [])])
    m = rep["spans"]["strict"]["micro"]
    assert (m["p"], m["r"], m["f1"]) == (None, 0.0, 0.0) and m["flags"] == ["no_pred"]
    # The flag reaches the macro average, the headline and the warnings, not only the micro figure.
    assert rep["spans"]["strict"]["macro"]["flags"] == ["no_pred"] and rep["headline"]["spans"]["flags"] == ["no_pred"]
    assert any("the predictions hold no span" in w and "recall 0" in w for w in rep["warnings"])
    rep = _report([spans_doc("d", [])], [spans_doc("d", GOLD)])
    assert rep["headline"]["spans"]["flags"] == ["no_gold"] and rep["spans"]["exact"]["macro"]["flags"] == ["no_gold"]
    assert any("the gold holds no span" in w for w in rep["warnings"])


def test_unknown_labels_error_or_spurious():
    p = spans_doc("d", [(0, 5, "PER"), (10, 20, "WEAPON")])
    with pytest.raises(InputError, match="WEAPON"):
        score([spans_doc("d", GOLD)], [p], n_boot=0, validate=False)
    rep = _report([spans_doc("d", GOLD)], [p], unknown_labels="spurious")
    m = rep["spans"]["strict"]["micro"]["counts"]
    assert m["actual"] == 2 and m["spurious"] == 1
    assert rep["spans"]["strict"]["per_label"]["<unknown>"]["counts"]["spurious"] == 1
    assert "<unknown>" not in rep["spans"]["strict"]["macro"]["labels"]


def test_missing_extra_and_text_checks():
    gold = [spans_doc("a", GOLD), spans_doc("b", GOLD)]
    rep = _report(gold, [spans_doc("a", GOLD)])
    assert rep["missing_predictions"] == ["b"] and "scored as empty" in rep["warnings"][0]
    assert rep["spans"]["strict"]["micro"]["r"] == 0.5
    with pytest.raises(InputError, match="not in gold: zz"):
        score(gold, [spans_doc("zz", GOLD)], n_boot=0, validate=False)
    assert _report(gold, [spans_doc("zz", GOLD)], ignore_extra=True)["ignored_extra"] == ["zz"]
    bad = spans_doc("a", GOLD)
    bad.text = "y" * 400
    with pytest.raises(InputError, match="'a'.*text differs"):
        score(gold, [bad], n_boot=0, validate=False)
    hashed = Document(id="a", text_sha256=hashlib.sha256(("z" * 10).encode()).hexdigest())
    with pytest.raises(InputError, match="text_sha256"):
        score(gold, [hashed], n_boot=0, validate=False)


def test_arabic_normalization_remaps_offsets():
    eg = TEXT.index("مصر")
    gold = spans_doc("d", [(eg, eg + 3, "GPE")], TEXT)
    diacritized = TEXT[:eg] + "مِصر" + TEXT[eg + 3 :]
    pred = spans_doc("d", [(eg, eg + 4, "GPE")], diacritized)
    with pytest.raises(InputError):
        score([gold], [pred], n_boot=0, validate=False)
    rep = _report([gold], [pred], norm="arabic")
    assert rep["spans"]["strict"]["micro"]["f1"] == 1.0
    assert "norm:arabic" in rep["signature"]


def test_signature_names_how_gold_was_hashed_and_the_unknown_label_rule(tmp_path):
    from ittifaq.evaluate.scoring.signature import Signature, gold_hash

    gold, pred = [spans_doc("d", GOLD)], [spans_doc("d", GOLD[:2])]
    in_memory = Signature.parse(score(gold, pred, n_boot=0, validate=False).signature)
    assert in_memory.digest.startswith("content-") and len(in_memory.digest) == len("content-") + 12
    path = tmp_path / "gold.jsonl"
    path.write_bytes(b"".join(orjson.dumps(d.to_dict()) + b"\n" for d in gold))
    from_file = Signature.parse(score(gold, pred, gold_path=path, n_boot=0, validate=False).signature)
    assert from_file.digest == gold_hash([path]) and from_file.reference == "gold"
    assert in_memory.unk == "error"
    assert Signature.parse(score(gold, pred, n_boot=0, validate=False, unknown_labels="spurious").signature).unk == "spurious"


def test_signature_fields():
    rep = _report([spans_doc("d", GOLD)], [spans_doc("d", GOLD)], n_boot=10, seed=7)
    sig = rep["signature"]
    assert sig.startswith("ittifaq:v") and "|schema:1.0|gold:" in sig and sig.endswith("|norm:none|unk:error|boot:10|seed:7")
    assert "|split:test|spans:strict,exact,partial,type,clitic|rel:strict,boundaries,relaxed,entity|" in sig
    assert rep["headline"]["spans"]["scheme"] == "strict" and rep["headline"]["relations"]["mode"] == "strict"


def test_quote_tokens_are_words_of_any_script_and_keep_diacritics_inside():
    from ittifaq.evaluate.scoring.quote_tokens import _token_count

    text = "قال ۱۲۳ مرة: Привет мир وَقَالَ"
    assert _token_count(text, [(0, len(text))]) == 6  # Persian digits and Cyrillic count; harakat do not split
    # The underscore is no letter; marks alone, left over where a quote is cut inside a word, are no word.
    assert _token_count("سهل_رمل", [(0, 7)]) == 2
    word = "كَتَبَ"
    assert _token_count(word, [(len(word) - 1, len(word))]) == 0
    assert _token_count(word, [(len(word) - 2, len(word))]) == 1
