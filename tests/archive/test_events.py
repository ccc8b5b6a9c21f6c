"""`ittifaq events`: the agreement and quote tables, checked against `ittifaq stats` on the gold corpus."""

from __future__ import annotations

import csv
import re

import pytest
from support import REPO, run_cli

import ittifaq
from ittifaq.evaluate.archive.events import AGREEMENT_COLUMNS, CODES, QUOTE_COLUMNS, SEP, text_year
from ittifaq.evaluate.authoring.stats import corpus_stats


def _read_csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_event_tables_of_the_gold_corpus_count_what_stats_counts(tmp_path):
    run = run_cli("events", str(REPO / "corpus" / "data"), str(tmp_path / "ev"))
    assert run.returncode == 0, run.stderr
    stats = corpus_stats(ittifaq.load())
    agreements, quotes = _read_csv(tmp_path / "ev" / "agreements.csv"), _read_csv(tmp_path / "ev" / "quotes.csv")
    assert list(agreements[0]) == list(AGREEMENT_COLUMNS) and list(quotes[0]) == list(QUOTE_COLUMNS)
    assert len(agreements) == stats["spans"]["AGREEMENT"] and len(quotes) == stats["spans"]["QUOTE"]
    assert f"wrote {len(agreements)} agreement row(s)" in run.stderr

    def many(rows, col):
        return sum(len(r[col].split(SEP)) for r in rows if r[col])

    assert many(agreements, "party_ids") == stats["relations"]["party"]
    assert many(quotes, "speaker_ids") == stats["relations"]["speaker"]
    assert many(quotes, "cue") == stats["relations"]["cue"]
    for kind, n in stats["agreements"]["type"].items():
        rows = [r for r in agreements if r["agreement_type"] == kind]
        assert len(rows) == n and {(r["cameo"], r["plover"]) for r in rows} == {(CODES[kind][0], CODES[kind][2])}
    for kind, n in stats["quotes"]["kind"].items():
        assert sum(r["quote_kind"] == kind for r in quotes) == n
    # evidence: the offsets give back the span's text, in the document named
    docs = {d.id: d for d in ittifaq.load()}
    for r in agreements[:200] + quotes[:200]:
        assert docs[r["doc_id"]].text[int(r["start"]):int(r["end"])] == r["text"]
    # a party's name and id line up, and the quote names the agreement it contains
    assert all(len(r["parties"].split(SEP)) == len(r["party_ids"].split(SEP)) for r in agreements if r["parties"])
    inside = [r for r in quotes if r["agreement_ids"]]
    assert inside and all(len(r["agreement_ids"].split(SEP)) == len(r["agreement_types"].split(SEP)) for r in inside)
    assert {r["date_source"] for r in agreements} == {"document", "text"}


def test_parquet_tables_match_the_csv_ones(tmp_path):
    pd = pytest.importorskip("pandas")
    gold = REPO / "corpus" / "data" / "validation.jsonl"
    for fmt in ("csv", "parquet"):
        assert run_cli("events", str(gold), str(tmp_path / fmt), "--format", fmt).returncode == 0
    for table in ("agreements", "quotes"):
        a = pd.read_csv(tmp_path / "csv" / f"{table}.csv", dtype=str, keep_default_na=False)
        b = pd.read_parquet(tmp_path / "parquet" / f"{table}.parquet").fillna("").astype(str)
        assert a.equals(b)


def test_the_year_of_the_accord_phrase_dates_it_and_a_deadline_does_not():
    # Phrases written for this test.
    assert text_year("اتفاقية عام 1959 لتقاسم المياه بين البلدين") == "1959"
    assert text_year("اتفاق ٢٠١٤ بين الحكومة والمعارضة") == "2014"
    assert text_year("تفاهم تموز/يوليو 1993 بين الطرفين") == "1993"
    assert text_year("بروتوكول يخفض الانبعاثات بحلول 2030") is None
    assert text_year("خطة العمل للأعوام 2019 - 2021") is None
    assert text_year("الاتفاق النووي") is None


def test_the_codes_are_the_guidelines_table():
    text = (REPO / "annotation_guidelines.md").read_text(encoding="utf-8")
    section = text.split("### 3.6 Codes for event data", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d{3}) \| ([^|]+?) \| (\w+) \|$", section, flags=re.M)
    assert {kind: (code, label, plover) for kind, code, label, plover in rows} == CODES
    assert "coarse mapping of our agreement types" in section
