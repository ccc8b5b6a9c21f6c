"""The sampling frame, split-by-event assignment and the balance/variety rules, checked from the data."""

from __future__ import annotations

from pathlib import Path

from support import REPO, run_cli

from ittifaq.evaluate.authoring.build import compile_sources, corpus_version, source_files
from ittifaq.evaluate.authoring.frame import (
    MAX_ARTICLES_PER_EVENT,
    SourceMeta,
    events_of,
    events_tsv,
    frame_findings,
    read_frame,
    shared_runs,
)
from ittifaq.evaluate.authoring.splits import assign_splits, frozen_splits, rewrite_split
from ittifaq.evaluate.schema import Document, Span

CORPUS = REPO / "corpus"


def _bundled():
    files = source_files(CORPUS / "sources")
    docs, errors = compile_sources(files)
    assert not errors
    return docs, read_frame(files)


def test_bundled_corpus_keeps_every_invariant():
    docs, metas = _bundled()
    broken = [f"{f.rule}: {f.message}" for f in frame_findings(docs, metas) if not f.target]
    assert broken == []


def test_every_event_is_in_one_split_and_the_frame_is_committed():
    docs, metas = _bundled()
    events = events_of(metas)
    assert all(len(e.articles) <= MAX_ARTICLES_PER_EVENT for e in events)
    split_of = {d.id: d.split for d in docs}
    for e in events:
        assert len({split_of[a] for a in e.articles}) == 1, e
    assert (CORPUS / "events.tsv").read_bytes() == events_tsv(events)
    # The committed frame records the split each event was given; the sources agree with it.
    assert frozen_splits(CORPUS / "events.tsv") == {e.id: e.split for e in events}


def test_release_targets_hold_once_released():
    """A released version (no 'unreleased' in the changelog's first heading) meets every v1.0 target."""
    version, released = corpus_version(CORPUS / "CHANGELOG.md")
    docs, metas = _bundled()
    targets = [f.message for f in frame_findings(docs, metas) if f.target]
    if released:
        assert targets == [], targets
    else:
        assert version.count(".") == 2


def _meta(i: str, event: str | None, region="asia", genre="wire", split="train", date="2020-01-02") -> SourceMeta:
    return SourceMeta(i, date, genre, region, split, event, "2020-01-01" if event else None,
                      "An event" if event else None, f"{i}.txt")


def _doc(i: str, text: str, split="train", spans=()) -> Document:
    return Document(id=i, text=text, split=split, genre="wire", region="asia", spans=list(spans), relations=[])


def test_event_rules_name_the_source_and_the_rule():
    metas = [_meta("a", None), _meta("b", "e1"), _meta("c", "e1", split="test"),
             _meta("d", "e2"), _meta("e", "e2", genre="feature"), _meta("f", "e2", genre="opinion"),
             _meta("g", "e2", genre="analysis"), _meta("h", "E 3"), _meta("i", "e4", date="2019-12-31")]
    rules = {(f.rule, f.message.split(":")[0]) for f in frame_findings([], metas)}
    assert ("event-missing", "a.txt") in rules
    assert ("event-split-differs", "event e1") in rules
    assert ("event-articles", "event e2") in rules
    assert ("event-id", "h.txt") in rules
    assert ("event-date", "i.txt") in rules  # the article predates its event
    assert ("event-angle", "event e1") in rules  # same genre and date


def test_shared_runs_spare_names_but_not_boilerplate():
    frame = "وقالت مصادر مطلعة إن المحادثات ستستأنف في الأسبوع المقبل بعد توقف"
    docs = [_doc(f"d{i}", f"خبر رقم {i}. {frame}") for i in range(3)]
    assert shared_runs(docs)  # an 8-word frame in three articles
    assert not shared_runs(docs[:2])  # two articles may share it
    name = "أمير قطر الشيخ تميم بن حمد آل ثاني"
    named = []
    for i in range(3):
        text = f"استقبل {name} الوفد رقم {i}."
        start = text.index("تميم")
        end = start + len("تميم بن حمد آل ثاني")
        q = text.index("قطر")
        named.append(_doc(f"n{i}", text, spans=[Span("p1", start, end, text[start:end], "PER", "tamim"),
                                                 Span("g1", q, q + 3, "قطر", "GPE", "qatar")]))
    assert not shared_runs(named)


def test_assignment_keeps_frozen_events_and_stratifies_new_ones():
    metas = [_meta("0001", "old", split="test")]
    regions = ["asia", "europe_russia", "global", "latin_america"]
    metas += [_meta(f"{i:04d}", f"ev{i}", region=regions[i % 4]) for i in range(2, 82)]
    metas.append(_meta("0099", "ev2", region="europe_russia", genre="feature", date="2021-01-01"))
    got = assign_splits(metas, {"old": "test"})
    assert got["0001"] == "test"
    assert got["0099"] == got["0002"]  # one event, one split
    for region in regions:
        ids = [m.id for m in metas if m.region == region]
        shares = {s: sum(got[i] == s for i in ids) / len(ids) for s in ("train", "validation", "test")}
        assert abs(shares["train"] - 0.6) < 0.1 and abs(shares["test"] - 0.25) < 0.1, (region, shares)
    # Adding events later never moves the ones already frozen.
    frozen = {m.event_id: got[m.id] for m in metas}
    more = metas + [_meta(f"{i:04d}", f"new{i}") for i in range(100, 120)]
    again = assign_splits(more, frozen)
    assert all(again[m.id] == got[m.id] for m in metas)


def test_rewrite_split_changes_only_the_split_line(tmp_path: Path):
    src = tmp_path / "x.txt"
    src.write_text("---\nid: x\nsplit: train\n---\nsplit: train في النص\n", encoding="utf-8")
    assert rewrite_split(src, "test")
    assert src.read_text(encoding="utf-8") == "---\nid: x\nsplit: test\n---\nsplit: train في النص\n"
    assert not rewrite_split(src, "test")


def test_frame_command_reports_invariants_and_targets():
    run = run_cli("corpus", "frame", "--corpus-dir", str(CORPUS))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "invariant finding(s)" in run.stdout
