"""Which occurrence an item takes when its string is repeated: order of mention first, then the
consistency hints (an actor inside the quote that names it, a speaker beside its cue, an agreement
near its parties), then the earliest. Hand-built sentences (fictional people), written for these tests."""

from __future__ import annotations

from ittifaq.evaluate.llm.align import align_answer
from ittifaq.evaluate.llm.anchor import Index, candidates, clean
from ittifaq.evaluate.llm.occurrence import Item, assign


def _answer(**parts):
    return {"actors": [], "agreements": [], "quotes": [], "affiliations": [], **parts}


def _nth(text: str, word: str, n: int) -> int:
    i = -1
    for _ in range(n):
        i = text.index(word, i + 1)
    return i


def _starts(aligned, label):
    return [s.start for s in aligned.doc.spans if s.label == label]


# "Nader Salim visited the capital yesterday. The ministry's spokeswoman said: «Salim will sign the
#  memorandum next week», and Salim left in the evening." (fictional)
QUOTED = "زار نادر سليم العاصمة أمس. وقالت المتحدثة باسم الوزارة: «سليم سيوقع المذكرة الأسبوع المقبل»، وغادر سليم مساء."
CONTENT = "سليم سيوقع المذكرة الأسبوع المقبل"
QUOTE = {"content": CONTENT, "cue": "قالت", "speaker": None, "kind": "direct", "role": "official"}


def test_a_name_the_answer_puts_inside_a_quote_takes_the_occurrence_inside_it():
    # Only the mention inside the quote is answered: the first free `سليم` (outside) is passed over.
    a = align_answer("d", QUOTED, _answer(actors=[{"text": "سليم", "label": "PER", "key": "s"}], quotes=[QUOTE]))
    assert _starts(a, "PER") == [_nth(QUOTED, "سليم", 2)] and not a.unanchored


def test_a_name_no_quote_names_stays_outside_the_quotes():
    # "The spokeswoman said: «The first round starts tomorrow and Salim will attend it with the delegation,
    #  then the talks move to the port», then Salim arrived." The answer's quote leaves the name out (its
    #  ends anchor it), so nothing in the answer puts `سليم` inside it: the `سليم` after the quote.
    text = ("قالت المتحدثة: «ستبدأ الجولة الأولى غدا وسيحضرها سليم مع الوفد ثم تنتقل المفاوضات إلى الميناء»، "
            "ثم وصل سليم.")
    quote = {**QUOTE, "content": "ستبدأ الجولة الأولى غدا وسيحضرها الوفد ثم تنتقل المفاوضات إلى الميناء"}
    a = align_answer("d", text, _answer(actors=[{"text": "سليم", "label": "PER", "key": "s"}], quotes=[quote]))
    assert _starts(a, "PER") == [_nth(text, "سليم", 2)] and a.tiers["ends"] == 1
    # First-fit would have taken the one inside the quote.
    b = align_answer("d", text, _answer(actors=[{"text": "سليم", "label": "PER", "key": "s"}]))
    assert _starts(b, "PER") == [_nth(text, "سليم", 1)]


def test_order_of_mention_comes_before_the_quote_hint():
    # Three mentions answered in order: none is moved into the quote at the price of the order.
    actors = [{"text": "نادر سليم", "label": "PER", "key": "s"}, {"text": "سليم", "label": "PER", "key": "s"},
              {"text": "سليم", "label": "PER", "key": "s"}]
    a = align_answer("d", QUOTED, _answer(actors=actors, quotes=[QUOTE]))
    assert _starts(a, "PER") == [4, _nth(QUOTED, "سليم", 2), _nth(QUOTED, "سليم", 3)] and a.tiers["out_of_order"] == 0
    # Two `سليم` answered, both named by the quote: one of them inside it either way, so the earliest pair.
    two = align_answer("d", QUOTED, _answer(actors=actors[1:], quotes=[QUOTE]))
    assert _starts(two, "PER") == [_nth(QUOTED, "سليم", 1), _nth(QUOTED, "سليم", 2)]


# "When Rami Issa was asked about the date he answered: «We will announce the date soon», then Issa left the hall."
SPOKEN = "وحين سئل رامي عيسى عن الموعد أجاب: «سنعلن الموعد قريبا»، ثم غادر عيسى القاعة."


def test_a_speaker_mentioned_before_and_after_a_quote_is_the_mention_beside_its_cue():
    actors = [{"text": "رامي عيسى", "label": "PER", "key": "issa"}, {"text": "عيسى", "label": "PER", "key": "issa"}]
    quote = {"content": "سنعلن الموعد قريبا", "cue": "أجاب", "speaker": "issa", "kind": "direct", "role": "official"}
    a = align_answer("d", SPOKEN, _answer(actors=actors, quotes=[quote]))
    by_id = a.doc.span_by_id()
    (speaker,) = [by_id[r.tail] for r in a.doc.relations if r.label == "speaker"]
    assert (speaker.start, speaker.text) == (SPOKEN.index("رامي عيسى"), "رامي عيسى")
    # Without a cue the speaker is the mention nearest the quote: the one after it.
    b = align_answer("d", SPOKEN, _answer(actors=actors, quotes=[{**quote, "cue": None}]))
    by_id = b.doc.span_by_id()
    (speaker,) = [by_id[r.tail] for r in b.doc.relations if r.label == "speaker"]
    assert speaker.start == _nth(SPOKEN, "عيسى", 2)


# "Everyone knows that the agreement needs time, the analyst said ... Then Malta and Cyprus signed the
#  agreement on fishing." The first `الاتفاق` is general talk (not annotated), the second is the agreement.
FILLER = "وتناول التقرير الطويل أحوال الطقس في الموانئ وأسعار الوقود وعدد السفن التي ترسو كل شهر، ثم عرض آراء الصيادين في المواسم الماضية. "
AGREED = "يعرف الجميع أن الاتفاق يحتاج وقتا. " + FILLER * 2 + "ووقعت مالطا وقبرص الاتفاق الخاص بالصيد."


def test_a_repeated_agreement_word_takes_the_occurrence_near_its_parties():
    actors = [{"text": "مالطا", "label": "GPE", "key": "mt"}, {"text": "قبرص", "label": "GPE", "key": "cy"}]
    agreement = {"text": "الاتفاق", "type": "economic", "status": "signed", "parties": ["mt", "cy"]}
    a = align_answer("d", AGREED, _answer(actors=actors, agreements=[agreement]))
    assert _starts(a, "AGREEMENT") == [_nth(AGREED, "الاتفاق", 2)]
    assert sorted(r.label for r in a.doc.relations) == ["party", "party"] and not a.unanchored
    # Without parties nothing tells the two apart: the first occurrence.
    b = align_answer("d", AGREED, _answer(actors=actors, agreements=[{**agreement, "parties": []}]))
    assert _starts(b, "AGREEMENT") == [_nth(AGREED, "الاتفاق", 1)]


def test_an_agreement_word_near_more_of_its_parties_wins():
    # "Malta announced the agreement ... then Malta and Cyprus signed the agreement": both occurrences are near
    # Malta, only the second near Cyprus too. Each party near is one hint.
    text = "أعلنت مالطا الاتفاق أمس. " + FILLER * 2 + "ووقعت مالطا وقبرص الاتفاق."
    actors = [{"text": "مالطا", "label": "GPE", "key": "mt"}, {"text": "مالطا", "label": "GPE", "key": "mt"},
              {"text": "قبرص", "label": "GPE", "key": "cy"}]
    agreement = {"text": "الاتفاق", "type": "economic", "status": "signed", "parties": ["mt", "cy"]}
    a = align_answer("d", text, _answer(actors=actors, agreements=[agreement]))
    assert _starts(a, "AGREEMENT") == [_nth(text, "الاتفاق", 2)]
    b = align_answer("d", text, _answer(actors=actors, agreements=[{**agreement, "parties": ["mt"]}]))
    assert _starts(b, "AGREEMENT") == [_nth(text, "الاتفاق", 1)]


def test_assign_scores_order_then_glued_then_hints_then_earliest():
    near_20 = lambda s: int(s[0] == 20)  # noqa: E731
    # A hint moves an item past an occurrence only when the order allows it.
    assert [p.spot for p in assign([Item([(0, 2), (20, 22)], [], "GPE", near_20)])] == [(20, 22)]
    got = assign([Item([(0, 2), (20, 22)], [], "GPE", near_20), Item([(0, 2), (20, 22)], [], "GPE")])
    assert [p.spot for p in got] == [(0, 2), (20, 22)] and all(p.in_order for p in got)
    # A glued occurrence only when no on-edge one keeps the order; an item without any is None.
    got = assign([Item([(10, 12)], [], "ORG"), Item([(5, 7)], [(14, 16)], "ORG"), Item([], [], "ORG")])
    assert [(p.spot, p.glued, p.in_order) for p in got[:2]] == [((10, 12), False, True), ((14, 16), True, True)] and got[2] is None
    # An answer out of order: the break is counted, and one label never takes one spot twice while
    # the item has a free occurrence (the fourth would share the first's (10, 12): it takes (20, 22)).
    every = [(0, 2), (10, 12), (20, 22)]
    got = assign([Item([(10, 12)], [], "PER"), Item(every, [], "PER"), Item([(5, 7)], [], "GPE"), Item(every, [], "PER")])
    assert [(p.spot, p.in_order) for p in got] == [((10, 12), True), ((0, 2), False), ((5, 7), True), ((20, 22), False)]


def test_quotation_marks_paired_inside_a_name_and_names_that_begin_like_proclitics():
    # "The «Green Coast» coordination met Valentina Rossi." (fictional)
    text = "التقت تنسيقية «الساحل الأخضر» فالنتينا روسو."
    assert clean("«تنسيقية «الساحل الأخضر»»") == "تنسيقية «الساحل الأخضر»" and clean("«الساحل الأخضر».") == "الساحل الأخضر"
    index = Index(text)
    assert candidates(index, "تنسيقية «الساحل الأخضر»")[1] == [(6, 29)]
    # `فالنتينا` stands alone and `النتينا` never does: the ف is the name's, not a proclitic.
    assert candidates(index, "فالنتينا روسو")[1] == [(30, 43)]
    # But `بالصين` in `وبالصين` is a proclitic and the article: cut as before.
    assert candidates(Index("ووقعت وبالصين."), "بالصين")[1] == [(8, 13)]
