"""Corpus statistics and the hard-case counters measure what the card reports."""

from __future__ import annotations

from ittifaq.evaluate.authoring.hard_cases import hard_case_counts
from ittifaq.evaluate.authoring.sources import parse_source
from ittifaq.evaluate.authoring.stats import corpus_stats

HEAD = """---
id: hc-1
title: t
date: 2020-01-01
genre: wire
region: asia
split: train
grounding: []
annotators: [t]
---
"""
BODY = (
    "اتفقت [[g1 GPE e=ru|روسيا]] و[[g2 GPE e=cn|الصين]] و[[g3 GPE e=in|الهند]] على "
    "[[a1 AGREEMENT type=energy status=cancelled party=g1,g2,g3|صفقة غاز]]. وأكد [[g4 GPE e=ru|الكرملين]] ذلك.\n\n"
    "«[[q1 QUOTE kind=direct role=analyst speaker=p1 cue=c1|الصفقة انتهت. لا عودة]]»، [[c1 CUE|قال]] "
    "[[p1 PER e=x|سامي]] من [[o1 ORG e=gm|Gulf Monitor]]."
)


def test_hard_cases_are_counted():
    doc, _ = parse_source(HEAD + BODY)
    hc = hard_case_counts([doc])
    assert hc["clitic_attached_names"]["occurrences"] == 2  # والصين، والهند
    assert hc["metonym_entities"]["occurrences"] == 1  # الكرملين joins روسيا
    assert hc["cue_after_quote"]["occurrences"] == 1
    assert hc["latin_script_names"]["occurrences"] == 1
    assert hc["agreements_cancelled"]["occurrences"] == 1
    assert hc["agreements_3plus_parties"]["occurrences"] == 1
    assert hc["multi_sentence_quotes"]["occurrences"] == 1
    assert hc["glued_words"]["occurrences"] == 0


def test_stats_lists_every_schema_value():
    doc, _ = parse_source(HEAD + BODY)
    st = corpus_stats([doc])
    assert st["documents"] == 1 and st["spans"]["GPE"] == 4 and st["spans"]["CUE"] == 1
    assert st["agreements"]["status"]["denied"] == 0 and st["agreements"]["status"]["cancelled"] == 1
    assert st["coverage"]["quotes_analyst_share"] == 1.0
