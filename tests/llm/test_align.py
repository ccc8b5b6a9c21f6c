"""Hand-built alignment cases: repeated names, normalization variants, proclitics, paraphrased quotes,
hallucinated entities; and a perfect string answer on real test documents.

Every Arabic sentence here was written for these tests (fictional people, no published text)."""

from __future__ import annotations

import pytest

from ittifaq.evaluate.io.documents import load_corpus
from ittifaq.evaluate.llm.align import align_answer
from ittifaq.evaluate.llm.answer import answer_from_document
from ittifaq.evaluate.scoring.pipeline import score

# "Samir Haddad met the Jordanian minister in Amman. Then Haddad said that the talks were fruitful,
#  and Haddad added that Jordan would sign." (fictional)
TEXT = "التقى سمير حداد الوزير الأردني في عمّان. ثم قال حداد إن المحادثات كانت مثمرة، وأضاف حداد أن الأردن سيوقع."


def _answer(**parts):
    return {"actors": [], "agreements": [], "quotes": [], "affiliations": [], **parts}


def _spans(aligned):
    return [(s.label, s.start, s.end, s.text, s.entity) for s in aligned.doc.spans]


def test_repeated_names_follow_the_order_of_mention_and_speakers_the_nearest_mention():
    actors = [{"text": "سمير حداد", "label": "PER", "key": "haddad"}, {"text": "عمّان", "label": "GPE", "key": "amman"},
              {"text": "حداد", "label": "PER", "key": "haddad"}, {"text": "حداد", "label": "PER", "key": "haddad"},
              {"text": "الأردن", "label": "GPE", "key": "jordan"}]
    quotes = [{"content": "المحادثات كانت مثمرة", "cue": "قال", "speaker": "haddad", "kind": "indirect", "role": "official"},
              {"content": "الأردن سيوقع", "cue": "أضاف", "speaker": "haddad", "kind": "indirect", "role": "official"}]
    a = align_answer("d", TEXT, _answer(actors=actors, quotes=quotes))
    pers = [(s.start, s.text, s.entity) for s in a.doc.spans if s.label == "PER"]
    second, third = TEXT.index("حداد", TEXT.index("قال")), TEXT.index("حداد", TEXT.index("وأضاف"))
    assert pers == [(6, "سمير حداد", "haddad"), (second, "حداد", "haddad"), (third, "حداد", "haddad")]
    by_id = a.doc.span_by_id()
    speakers = {by_id[r.head].text: by_id[r.tail].start for r in a.doc.relations if r.label == "speaker"}
    assert speakers == {"المحادثات كانت مثمرة": second, "الأردن سيوقع": third}
    cues = {by_id[r.head].text: by_id[r.tail].text for r in a.doc.relations if r.label == "cue"}
    assert cues == {"المحادثات كانت مثمرة": "قال", "الأردن سيوقع": "أضاف"}
    assert not a.unanchored and a.tiers["out_of_order"] == 0


def test_spelling_variants_under_the_scorers_normalization():
    # Answers without the shadda, with a bare alef for the hamza, and ه for ة.
    actors = [{"text": "عمان", "label": "GPE", "key": "amman"}, {"text": "الاردن", "label": "GPE", "key": "jordan"}]
    quotes = [{"content": "المحادثات كانت مثمره", "cue": "قال", "speaker": None, "kind": "indirect", "role": "official"}]
    a = align_answer("d", TEXT, _answer(actors=actors, quotes=quotes))
    assert [s[3] for s in _spans(a)] == ["عمّان", "الأردن", "المحادثات كانت مثمرة", "قال"]
    assert a.tiers["normalized"] == 3 and not a.unanchored


def test_proclitics_stay_outside_as_the_guidelines_say():
    # "And Russia and the United Kingdom signed with China." (fictional)
    text = "ووقعت روسيا وللمملكة المتحدة حصة، وبالصين."
    actors = [{"text": "وروسيا", "label": "GPE", "key": "ru"}, {"text": "المملكة المتحدة", "label": "GPE", "key": "uk"},
              {"text": "بالصين", "label": "GPE", "key": "cn"}]
    a = align_answer("d", text, _answer(actors=actors))
    assert [s[3] for s in _spans(a)] == ["روسيا", "لمملكة المتحدة", "الصين"]
    # A name is not found inside a longer word when the text has it on its own.
    b = align_answer("d", "قال الإيرانيون إن إيران مستعدة.", _answer(actors=[{"text": "إيران", "label": "GPE", "key": "ir"}]))
    assert [s[3] for s in _spans(b)] == ["إيران"] and b.doc.spans[0].start == 18


def test_quotes_shortened_with_ellipsis_or_changed_inside_keep_their_ends_a_paraphrase_is_listed():
    # "The analyst Hala Nasser said that the coming months will show whether the two sides are serious about
    #  implementing what they signed in the capital." (fictional)
    text = "قالت المحللة هالة ناصر إن الأشهر المقبلة ستكشف ما إذا كان الطرفان جادين في تنفيذ ما وقعاه في العاصمة."
    content = "الأشهر المقبلة ستكشف ما إذا كان الطرفان جادين في تنفيذ ما وقعاه في العاصمة"
    q = {"cue": "قالت", "speaker": "nasser", "kind": "indirect", "role": "analyst"}
    actors = [{"text": "هالة ناصر", "label": "PER", "key": "nasser"}]
    quotes = [{**q, "content": "الأشهر المقبلة ستكشف … ما وقعاه في العاصمة."},
              {**q, "content": "الأشهر المقبلة ستكشف ما إن كان الطرفان جادين حقا في تنفيذ ما وقعاه في العاصمة"},
              {**q, "content": "المرحلة القادمة ستبين مدى التزام الجانبين بالاتفاق"}]
    for i, quote in enumerate(quotes):
        a = align_answer("d", text, _answer(actors=actors, quotes=[quote]))
        got = [s[3] for s in _spans(a) if s[0] == "QUOTE"]
        if i < 2:
            assert got == [content] and a.tiers["ends"] == 1 and not a.unanchored
        else:
            assert got == [] and {(u["label"], u["reason"]) for u in a.unanchored} == {
                ("QUOTE", "not_in_text"), ("CUE", "head_unanchored"), ("cue", "head_unanchored"), ("speaker", "head_unanchored")}


def test_hallucinated_entities_and_keys_are_listed_with_their_reasons():
    actors = [{"text": "سمير حداد", "label": "PER", "key": "haddad"}, {"text": "ليلى عواد", "label": "PER", "key": "awad"},
              {"text": "الأردن", "label": "COUNTRY", "key": "jordan"}, {"label": "GPE", "key": "x"}]
    agreements = [{"text": "اتفاق الغاز", "type": "energy", "status": "signed", "parties": ["jordan"]}]
    quotes = [{"content": "المحادثات كانت مثمرة", "cue": "صرح", "speaker": "awad", "kind": "indirect", "role": "official"},
              {"content": "الأردن سيوقع", "cue": "أضاف", "speaker": "nobody", "kind": "indirect", "role": "official"}]
    affiliations = [{"person": "haddad", "organization": "jordan"}]
    a = align_answer("d", TEXT, _answer(actors=actors, agreements=agreements, quotes=quotes, affiliations=affiliations))
    reasons = sorted((u["label"], u["text"], u["reason"]) for u in a.unanchored)
    assert reasons == sorted([
        ("PER", "ليلى عواد", "not_in_text"), ("actor", "الأردن", "invalid_item"), ("GPE", None, "invalid_item"),
        ("AGREEMENT", "اتفاق الغاز", "not_in_text"), ("party", "jordan", "head_unanchored"),
        ("CUE", "صرح", "not_in_text"), ("cue", "صرح", "endpoint_unanchored"),
        ("speaker", "awad", "endpoint_unanchored"), ("speaker", "nobody", "unknown_key"),
        ("affiliation", "jordan", "endpoint_unanchored"),
    ])
    assert [s[3] for s in _spans(a)] == ["سمير حداد", "المحادثات كانت مثمرة", "الأردن سيوقع", "أضاف"]


@pytest.mark.parametrize("n", [12])
def test_a_perfect_string_answer_loses_little(n):
    gold = load_corpus("test")[:n]
    preds = []
    for d in gold:
        a = align_answer(d.id, d.text, answer_from_document(d))
        a.doc.split = d.split
        preds.append(a.doc)
    assert score(gold, preds, n_boot=0).to_dict()["spans"]["strict"]["micro"]["f1"] >= 0.98


@pytest.mark.slow
def test_a_perfect_string_answer_on_the_whole_test_split():
    test_a_perfect_string_answer_loses_little(10_000)


def test_numbered_keys_and_wrong_attribute_values():
    actors = [{"text": "سمير حداد", "label": "PER", "key": 1}, {"text": "حداد", "label": "PER", "key": 1}]
    quotes = [{"content": "المحادثات كانت مثمرة", "cue": "قال", "speaker": 1, "kind": "reported", "role": "official"}]
    a = align_answer("d", TEXT, _answer(actors=actors, quotes=quotes))
    by_id = a.doc.span_by_id()
    (speaker,) = [by_id[r.tail] for r in a.doc.relations if r.label == "speaker"]
    assert speaker.text == "حداد" and speaker.entity == "1" and not a.unanchored
    (quote,) = [s for s in a.doc.spans if s.label == "QUOTE"]
    assert quote.attributes.quote_kind is None and quote.attributes.source_role == "official"


def test_a_speaker_named_instead_of_keyed_is_found_by_its_text():
    actors = [{"text": "حداد", "label": "PER", "key": "p1"}]
    quotes = [{"content": "المحادثات كانت مثمرة", "cue": "قال", "speaker": "حداد", "kind": "indirect", "role": "official"}]
    a = align_answer("d", TEXT, _answer(actors=actors, quotes=quotes))
    assert [r.label for r in a.doc.relations] == ["cue", "speaker"] and a.tiers["key_by_name"] == 1 and not a.unanchored
