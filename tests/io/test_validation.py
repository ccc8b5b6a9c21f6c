"""The validator reports every problem with its place and rule, and exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from ittifaq.evaluate.io.validation import check_record, validate_paths


def _write(path: Path, lines: list[str | dict[str, Any]], bom: bool = False) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_valid_record_has_no_problem(gold_record):
    assert check_record(gold_record) == []


def _faulty_file(tmp_path: Path, gold: dict[str, Any]) -> tuple[Path, dict[int, str]]:
    """A train file with ten different faults, one per line; returns the expected rule per line."""

    def variant(i: int) -> dict[str, Any]:
        rec = json.loads(json.dumps(gold))
        rec["id"] = f"doc-{i}"
        return rec

    expected: dict[int, str] = {}
    lines: list[str | dict[str, Any]] = []
    # 1: invalid JSON
    lines.append('{"id": "doc-1", "text": ')
    expected[1] = "invalid-json"
    # 2: missing field
    r = variant(2)
    del r["genre"]
    lines.append(r)
    expected[2] = "missing-field"
    # 3: extra field
    r = variant(3)
    r["sentiment"] = "positive"
    lines.append(r)
    expected[3] = "extra-field"
    # 4: offsets beyond the text
    r = variant(4)
    r["spans"][0]["end"] = len(r["text"]) + 5
    lines.append(r)
    expected[4] = "bad-offsets"
    # 5: span text mismatch
    r = variant(5)
    r["spans"][0]["text"] = "موسكو"
    lines.append(r)
    expected[5] = "text-mismatch"
    # 6: unknown label
    r = variant(6)
    r["spans"][0]["label"] = "LOC"
    lines.append(r)
    expected[6] = "unknown-value"
    # 7: relation to a missing span
    r = variant(7)
    r["relations"][0]["tail"] = "zz9"
    lines.append(r)
    expected[7] = "missing-endpoint"
    # 8: disallowed relation pair (speaker pointing at an agreement)
    r = variant(8)
    speaker = next(x for x in r["relations"] if x["label"] == "speaker")
    speaker["tail"] = "a1"
    lines.append(r)
    expected[8] = "bad-relation-pair"
    # 9: entity on a non-actor
    r = variant(9)
    agreement = next(x for x in r["spans"] if x["label"] == "AGREEMENT")
    agreement["entity"] = "deal"
    lines.append(r)
    expected[9] = "entity-on-non-actor"
    # 10: split disagrees with the file
    r = variant(10)
    r["split"] = "test"
    lines.append(r)
    expected[10] = "split-mismatch"
    # 11: duplicate document id
    r = variant(2)
    lines.append(r)
    expected[11] = "duplicate-document"
    # 12: text not NFC (a decomposed alef with hamza above), offsets unchanged
    r = variant(12)
    r["title"] = "x"
    r["text"] = r["text"].replace("أمس", "ا\u0654مس")
    lines.append(r)
    expected[12] = "text-not-nfc"
    path = _write(tmp_path / "train.jsonl", lines)
    return path, expected


def test_every_fault_reported_with_its_line(tmp_path, gold_record):
    path, expected = _faulty_file(tmp_path, gold_record)
    problems = validate_paths([path])
    found = {(p.line, p.rule) for p in problems}
    for line, rule in expected.items():
        assert (line, rule) in found, f"line {line}: expected {rule}, got {[p for p in problems if p.line == line]}"
    assert all(p.path == str(path) for p in problems)
    nine = next(p for p in problems if p.line == 9 and p.rule == "entity-on-non-actor")
    assert nine.doc_id == "doc-9" and nine.item_id == "span a1" and nine.field == "spans[2].entity"


def test_cli_prints_all_and_exits_1(tmp_path, gold_record):
    path, expected = _faulty_file(tmp_path, gold_record)
    run = subprocess.run(
        [sys.executable, "-m", "ittifaq.evaluate.cli", "validate", str(path)], capture_output=True, text=True
    )
    assert run.returncode == 1
    for line, rule in expected.items():
        assert f"{path}:{line} " in run.stdout and f"[{rule}]" in run.stdout
    assert "problem(s) found" in run.stderr


def test_bom_and_blank_lines(tmp_path, gold_record):
    path = _write(tmp_path / "x.jsonl", [gold_record, ""], bom=True)
    rules = [(p.line, p.rule) for p in validate_paths([path])]
    assert (1, "bom") in rules and (2, "blank-line") in rules


def test_gold_only_rules_relaxed_for_predictions(gold_record):
    pred = {"id": gold_record["id"], "spans": [dict(s, entity=None) for s in gold_record["spans"]], "relations": []}
    for s in pred["spans"]:
        s["attributes"] = {k: None for k in s["attributes"]}
    assert check_record(pred, predictions=True) == []
    rules = {p.rule for p in check_record(pred)}
    assert {"missing-field", "entity-missing", "attribute-missing", "quote-without-speaker"} <= rules


def test_gold_marks_a_mention_once(gold_record):
    dup = dict(gold_record["spans"][0], id="again")
    gold_record["spans"].append(dup)
    problems = [p for p in check_record(gold_record) if p.rule == "duplicate-span"]
    assert len(problems) == 1 and "again" in problems[0].message and problems[0].item_id == "span again"
    pred = {"id": gold_record["id"], "spans": [dict(s, entity=None) for s in gold_record["spans"]], "relations": []}
    assert "duplicate-span" not in {p.rule for p in check_record(pred, predictions=True)}  # counted once by the scorer


def test_an_offset_beyond_64_bits_is_out_of_range_not_a_fraction(gold_record):
    gold_record["spans"][0]["end"] = orjson.loads(b"1180591620717411303424")  # 2**70: the parser gives a float
    problems = [p for p in check_record(gold_record) if p.field == "spans[0].end"]
    assert [p.rule for p in problems] == ["out-of-range"] and "64-bit" in problems[0].message


def test_a_broken_span_is_reported_once_not_again_by_its_relations(gold_record):
    head = gold_record["relations"][0]["head"]
    span = next(s for s in gold_record["spans"] if s["id"] == head)
    del span["start"]
    rules = [p.rule for p in check_record(gold_record)]
    assert "missing-field" in rules and "missing-endpoint" not in rules


def test_duplicate_ids_and_inverted_offsets(gold_record):
    r = gold_record
    r["spans"][1]["id"] = r["spans"][0]["id"]
    r["spans"][3]["start"], r["spans"][3]["end"] = r["spans"][3]["end"], r["spans"][3]["start"]
    rules = {p.rule for p in check_record(r)}
    assert "duplicate-id" in rules and "bad-offsets" in rules


def test_bundled_corpus_is_valid():
    from ittifaq.evaluate.io.documents import CORPUS_DATA

    assert validate_paths([CORPUS_DATA]) == []


def _mutations(record):
    """Single-fault variants of a record, touching every level of the structure."""
    import copy

    values = [None, 1, 1.0, True, "x", "", [], {}, ["x"], -1, 0, "PER", "signed", "a" * 64]
    for key in list(record):
        for v in values:
            r = copy.deepcopy(record)
            r[key] = v
            yield r
        r = copy.deepcopy(record)
        del r[key]
        yield r
    r = copy.deepcopy(record)
    r["extra"] = 1
    yield r
    for i in range(min(3, len(record["spans"]))):
        for key in list(record["spans"][i]):
            for v in values:
                r = copy.deepcopy(record)
                r["spans"][i][key] = v
                yield r
            r = copy.deepcopy(record)
            del r["spans"][i][key]
            yield r
        for key in list(record["spans"][i]["attributes"]):
            for v in values:
                r = copy.deepcopy(record)
                r["spans"][i]["attributes"][key] = v
                yield r
    for i in range(min(2, len(record["relations"]))):
        for key in list(record["relations"][i]):
            for v in values:
                r = copy.deepcopy(record)
                r["relations"][i][key] = v
                yield r


def test_fast_structure_check_never_accepts_what_the_schema_rejects(gold_record):
    from ittifaq.evaluate.io.validation import _structure_validator, structure_ok

    n = 0
    for predictions in (False, True):
        schema = _structure_validator(predictions)
        assert structure_ok(gold_record, predictions) and not list(schema.iter_errors(gold_record))
        for r in _mutations(gold_record):
            if structure_ok(r, predictions):
                assert not list(schema.iter_errors(r)), r
                n += 1
    assert n > 0


def test_an_unknown_span_label_is_flagged_as_such_and_nothing_else_is(gold_record):
    """What `--unknown-labels spurious` tolerates is marked on the problem, not read from its wording."""
    gold_record["spans"][0]["label"] = "COUNTRY"
    gold_record["spans"][1]["start"] = -1
    problems = check_record(gold_record, predictions=True)
    flagged = [p for p in problems if p.unknown_span_label]
    assert [(p.rule, p.field) for p in flagged] == [("unknown-value", "spans[0].label")]
    assert any(not p.unknown_span_label and p.field == "spans[1].start" for p in problems)
