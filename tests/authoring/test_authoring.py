"""The authoring format compiles to exact offsets, and every error names line and column."""

from __future__ import annotations

import pytest

from ittifaq.evaluate.authoring.sources import SourceError, parse_source

HEAD = """---
id: t-1
title: عنوان
date: 2019-05-02
genre: wire
region: asia
split: train
grounding: ["2019-05-02: a fact"]
annotators: [t]
---
"""


def test_offsets_nesting_and_relations():
    body = (
        "و[[c1 CUE|أكد]] [[p1 PER e=x aff=g1|سامي]] من [[g1 GPE e=y|بلدنا]] أن "
        "[[q1 QUOTE kind=indirect role=analyst speaker=p1 cue=c1|[[a1 AGREEMENT type=energy status=signed party=g1|اتفاق الطاقة]] صامد]]."
    )
    doc, _ = parse_source(HEAD + body)
    assert doc.text == "وأكد سامي من بلدنا أن اتفاق الطاقة صامد."
    by_id = {s.id: s for s in doc.spans}
    for s in doc.spans:
        assert doc.text[s.start : s.end] == s.text
    assert by_id["c1"].text == "أكد" and by_id["c1"].start == 1
    assert by_id["q1"].text == "اتفاق الطاقة صامد"
    assert by_id["a1"].start == by_id["q1"].start and by_id["a1"].end < by_id["q1"].end
    assert [(r.label, r.head, r.tail) for r in doc.relations] == [
        ("affiliation", "p1", "g1"),
        ("speaker", "q1", "p1"),
        ("cue", "q1", "c1"),
        ("party", "a1", "g1"),
    ]
    assert [r.id for r in doc.relations] == ["r1", "r2", "r3", "r4"]
    assert doc.date == "2019-05-02" and doc.origin == "original"


@pytest.mark.parametrize(
    ("body", "line", "col", "needle"),
    [
        ("نص\nثم [[g1 GPE e=x|روسيا", 12, 4, "never closed"),
        ("نص]] آخر", 11, 3, "closes no open span"),
        ("[[g1 LOC e=x|روسيا]]", 11, 1, "unknown label"),
        ("[[g1 GPE|روسيا]]", 11, 1, "need e="),
        ("[[a1 AGREEMENT type=trade status=signed|اتفاق]]", 11, 1, "not one of"),
        ("[[q1 QUOTE kind=direct role=analyst speaker=p9|كلام]]", 11, 1, "names no span"),
        ("[[g1 GPE e=x| روسيا]]", 11, 1, "white space"),
        ("[[g1 GPE e=x|أ]] و[[g1 GPE e=x|ب]]", 11, 19, "already used"),
        ("[[g1 GPE e=x kind=direct|روسيا]]", 11, 1, "belongs on QUOTE"),
    ],
)
def test_errors_name_line_and_column(body, line, col, needle):
    with pytest.raises(SourceError) as info:
        parse_source(HEAD + body, "src.txt")
    err = info.value
    assert needle in err.message
    assert (err.line, err.col) == (line, col), str(err)
    assert str(err).startswith(f"src.txt:{line}:{col}:")


def test_front_matter_errors():
    with pytest.raises(SourceError, match="lacks 'split'"):
        parse_source(HEAD.replace("split: train\n", "") + "نص")
    with pytest.raises(SourceError, match="unknown front-matter key"):
        parse_source(HEAD.replace("split: train\n", "split: train\nsource: x\n") + "نص")
