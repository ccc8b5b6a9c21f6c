"""The fast columnar reader never accepts what the validator rejects, and reads what it accepts exactly.

`fast_read.read_batch` is what `ittifaq score` uses; when it returns None the full
validator runs and explains. So the property that matters is one-sided: every
input it accepts must be valid, and its columns must equal those of the validated
`Document` path. Being stricter (returning None for something valid) costs only time.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from test_validation import _mutations

from ittifaq.evaluate.columns import Batch, from_documents
from ittifaq.evaluate.io.documents import CORPUS_DATA, read_documents
from ittifaq.evaluate.io.fast_read import read_batch, read_segments
from ittifaq.evaluate.io.segments import split_lines
from ittifaq.evaluate.io.validation import validate_paths


def _same(a: Batch, b: Batch) -> None:
    for name in Batch.__slots__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape and (x == y).all(), name
        else:
            assert list(x) == list(y) if isinstance(x, list | tuple) else x == y, name


def _write(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _as_prediction(rec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec["id"], "spans": [], "relations": copy.deepcopy(rec["relations"])}
    choice = rng.random()
    if choice < 0.4:
        out["text"] = rec["text"]
    elif choice < 0.7:
        import hashlib

        out["text_sha256"] = hashlib.sha256(rec["text"].encode("utf-8")).hexdigest()
    for s in rec["spans"]:
        s = copy.deepcopy(s)
        if rng.random() < 0.5:
            del s["text"]
        if rng.random() < 0.5:
            del s["entity"]
        if rng.random() < 0.3:
            del s["attributes"]
        elif rng.random() < 0.3:
            s["attributes"] = {k: v for k, v in s["attributes"].items() if v is not None}
        out["spans"].append(s)
    return out


def test_bundled_corpus_reads_fast_and_equals_the_document_path():
    batch = read_batch([CORPUS_DATA])
    assert batch is not None, "the fast reader must vouch for the bundled corpus"
    _same(batch, from_documents(read_documents([CORPUS_DATA]), gold=True))


def test_predictions_in_every_optional_form(tmp_path):
    rng = random.Random(7)
    gold = [orjson.loads(x) for x in (CORPUS_DATA / "test.jsonl").read_bytes().splitlines()]
    path = _write(tmp_path / "pred.jsonl", [_as_prediction(r, rng) for r in gold])
    batch = read_batch([path], predictions=True)
    assert batch is not None
    _same(batch, from_documents(read_documents([path], predictions=True), gold=False))


def _semantic_mutations(rec: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Single faults of meaning (the structure stays valid), and a few harmless changes."""
    out = []

    def variant() -> dict[str, Any]:
        return copy.deepcopy(rec)

    spans = rec["spans"]
    for i, s in enumerate(spans):
        for ds, de in ((-1, 0), (1, 0), (0, 1), (0, -1), (0, len(rec["text"])), (s["end"] - s["start"], 0)):
            r = variant()
            r["spans"][i]["start"] += ds
            r["spans"][i]["end"] += de
            out.append(r)
        r = variant()
        r["spans"][i]["start"], r["spans"][i]["end"] = s["end"], s["start"]
        out.append(r)
        r = variant()  # text and offsets moved together onto white space
        a = max(s["start"] - 1, 0)
        r["spans"][i].update(start=a, text=rec["text"][a : s["end"]])
        out.append(r)
        r = variant()
        r["spans"][i]["id"] = spans[(i + 1) % len(spans)]["id"]
        out.append(r)
        r = variant()
        r["spans"][i]["id"] += "\n"
        out.append(r)
        r = variant()
        r["spans"][i]["entity"] = None if s["entity"] else "x"
        out.append(r)
        r = variant()
        r["spans"][i]["entity"] = ""
        out.append(r)
        for other in spans:
            if other["entity"] and s["entity"] and other["entity"] != s["entity"]:
                r = variant()
                r["spans"][i]["entity"] = other["entity"]
                out.append(r)
                break
        for name, value in (("agreement_type", "energy"), ("status", "signed"), ("quote_kind", "direct"), ("source_role", "analyst"), ("status", None)):
            r = variant()
            r["spans"][i]["attributes"][name] = value
            out.append(r)
        for label in ("PER", "ORG", "GPE", "AGREEMENT", "QUOTE", "CUE"):
            r = variant()
            r["spans"][i]["label"] = label
            out.append(r)
        r = variant()
        r["spans"].append(dict(s, id=s["id"] + "bis"))  # the same mention twice: gold may not, predictions may
        out.append(r)
    for j, rel in enumerate(rec["relations"]):
        r = variant()
        r["relations"][j]["tail"] = rel["head"]
        out.append(r)
        r = variant()
        r["relations"][j]["tail"] = "nope"
        out.append(r)
        for s in spans:
            r = variant()
            r["relations"][j]["tail"] = s["id"]
            out.append(r)
            r = variant()
            r["relations"][j]["head"] = s["id"]
            out.append(r)
        r = variant()
        r["relations"].append(dict(rel, id="zz"))
        out.append(r)
        r = variant()
        r["relations"][j]["id"] = rec["relations"][(j + 1) % len(rec["relations"])]["id"]
        out.append(r)
        r = variant()
        del r["relations"][j]
        out.append(r)
    r = variant()
    r["text"] = r["text"].replace("ا", "ا\u0654", 1)
    out.append(r)
    for date in ("2021-02-30", "2021-02-28", "2021-2-28", "٢٠٢١-٠٢-٢٨"):
        r = variant()
        r["date"] = date
        out.append(r)
    for split in ("test", "train", None):
        r = variant()
        r["split"] = split
        out.append(r)
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("predictions", [False, True])
def test_never_accepts_what_the_validator_rejects(tmp_path, gold_record, predictions):
    rng = random.Random(11)
    cases = list(_mutations(gold_record)) + _semantic_mutations(gold_record, rng)
    accepted = rejected = 0
    for rec in cases:
        path = _write(tmp_path / "train.jsonl", [rec])
        batch = read_batch([path], predictions=predictions)
        problems = validate_paths([path], predictions=predictions)
        if batch is None:
            rejected += 1
            continue
        accepted += 1
        assert problems == [], (rec, [str(p) for p in problems])
        _same(batch, from_documents(read_documents([path], predictions=predictions), gold=not predictions))
    # Both outcomes occur: the test exercises the reader, it does not just see it give up.
    assert accepted >= 10 and rejected >= 100, (accepted, rejected)


def test_file_level_rules(tmp_path, gold_record):
    two = [gold_record, dict(copy.deepcopy(gold_record))]
    assert read_batch([_write(tmp_path / "train.jsonl", two)]) is None  # duplicate document id
    assert read_batch([_write(tmp_path / "test.jsonl", [gold_record])]) is None  # split disagrees with the file
    assert read_batch([_write(tmp_path / "x.jsonl", [gold_record])]) is not None
    raw = orjson.dumps(gold_record)
    for content in (b"\xef\xbb\xbf" + raw + b"\n", raw + b"\n\n" + raw, raw.replace(b"}", b"}\r", 1) + b"\n", raw[:-3] + b"\n"):
        (tmp_path / "y.jsonl").write_bytes(content)
        assert read_batch([tmp_path / "y.jsonl"]) is None


def test_relation_to_a_span_of_another_document_is_refused(tmp_path, gold_record):
    """Documents are checked several to a chunk: a relation of a document without spans must not
    resolve to a span of a later document of the chunk (ids repeat across documents)."""
    rel = next(r for r in gold_record["relations"] if r["label"] != "speaker")
    rest = dict(copy.deepcopy(gold_record), relations=[r for r in gold_record["relations"] if r is not rel])
    other = dict(copy.deepcopy(gold_record), id="zz-other", spans=[], relations=[rel])
    for records in ([other, rest], [rest, other]):
        path = _write(tmp_path / "x.jsonl", records)
        assert read_batch([path]) is None
        assert read_batch([path], predictions=True) is None
        assert any(p.rule == "missing-endpoint" for p in validate_paths([path]))


def test_unknown_labels_only_when_allowed(tmp_path, gold_record):
    rec = copy.deepcopy(gold_record)
    rec["spans"][0]["label"] = "LOC"
    rec["spans"][0]["entity"] = None
    rec["relations"] = [r for r in rec["relations"] if r["tail"] != rec["spans"][0]["id"]]
    path = _write(tmp_path / "pred.jsonl", [rec])
    assert read_batch([path], predictions=True) is None
    batch = read_batch([path], predictions=True, allow_unknown=True)
    assert batch is not None and batch.unknown_labels == {0: "LOC"}


def test_scoring_columns_equals_scoring_documents(tmp_path):
    """The report (figures, CIs, errors) is the same whichever way the input was read."""
    from ittifaq.evaluate.scoring.pipeline import score

    rng = random.Random(5)
    gold_path = CORPUS_DATA / "test.jsonl"
    preds = []
    for line in gold_path.read_bytes().splitlines():
        rec = _as_prediction(orjson.loads(line), rng)
        kept = []
        for s in rec["spans"]:
            r = rng.random()
            if r < 0.1:
                continue
            if r < 0.2:
                s["label"] = rng.choice(["PER", "ORG", "GPE", "CUE"])
                s["attributes"] = {}
                s.pop("entity", None)
            elif r < 0.3:
                s["end"] = min(s["end"] + 1, s["start"] + 40)
                s.pop("text", None)
            kept.append(s)
        ids = {s["id"] for s in kept}
        labels = {s["id"]: s["label"] for s in kept}
        rec["spans"] = kept
        rec["relations"] = [x for x in rec["relations"] if x["head"] in ids and x["tail"] in ids and rng.random() < 0.8
                            and (x["label"] != "speaker" or labels[x["tail"]] in ("PER", "ORG", "GPE"))
                            and (x["label"] != "party" or labels[x["tail"]] in ("PER", "ORG", "GPE"))
                            and (x["label"] != "cue" or labels[x["tail"]] == "CUE")
                            and (x["label"] != "affiliation" or (labels[x["head"]] == "PER" and labels[x["tail"]] in ("ORG", "GPE")))
                            and labels[x["head"]] in {"party": ("AGREEMENT",), "speaker": ("QUOTE",), "cue": ("QUOTE",), "affiliation": ("PER",)}[x["label"]]]
        preds.append(rec)
    pred_path = _write(tmp_path / "pred.jsonl", preds)
    fast_g, fast_p = read_batch([gold_path]), read_batch([pred_path], predictions=True)
    assert fast_g is not None and fast_p is not None
    a = score(fast_g, fast_p, n_boot=200, collect_errors=True)
    b = score(read_documents([gold_path]), read_documents([pred_path], predictions=True), n_boot=200, collect_errors=True)
    assert a.to_dict() == b.to_dict()
    assert a.errors == b.errors and len(a.errors) > 50


def test_split_lines_cuts_at_line_starts_and_loses_nothing():
    files = sorted(CORPUS_DATA.glob("*.jsonl"))
    whole = read_batch(files)
    assert whole is not None
    for parts in (1, 2, 3, 5):
        batches = [read_segments(segs) for segs in split_lines(files, parts)]
        assert all(b is not None for b in batches)
        assert [i for b in batches for i in b.ids] == whole.ids
        assert sum(len(b.s_doc) for b in batches) == len(whole.s_doc)


def test_read_columns_falls_back_to_the_validator(tmp_path, gold_record):
    from ittifaq.evaluate import read_columns
    from ittifaq.evaluate.io.errors import InputError

    lf = _write(tmp_path / "train.jsonl", [gold_record])
    crlf = tmp_path / "crlf" / "train.jsonl"
    crlf.parent.mkdir()
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))  # valid, but the fast reader defers
    assert read_batch([crlf]) is None
    _same(read_columns([crlf]), read_columns([lf]))
    bad = copy.deepcopy(gold_record)
    bad["spans"][0]["end"] = 10_000
    (tmp_path / "bad").mkdir()
    path = _write(tmp_path / "bad" / "train.jsonl", [bad])
    with pytest.raises(InputError, match=r"train\.jsonl:1 \| doc fx-0001-gas-deal \| span g1 .*\[bad-offsets\]"):
        read_columns([path])


def test_documents_converted_in_chunks_equal_one_pass(monkeypatch):
    """`from_documents` works in chunks of documents; renumbering rows, entities,
    relation ends and unknown labels across chunks must give the single-pass columns."""
    from ittifaq.evaluate import columns

    gold = read_documents([CORPUS_DATA])
    pred = copy.deepcopy(gold)
    pred[20].spans[3].label = "NOT_A_LABEL"  # an unknown label (tolerated with --unknown-labels spurious)
    whole_gold, whole_pred = columns._from_chunk(gold, True), columns._from_chunk(pred, False)
    monkeypatch.setattr(columns, "DOC_CHUNK", 7)
    _same(columns.from_documents(gold, gold=True), whole_gold)
    chunked = columns.from_documents(pred, gold=False)
    _same(chunked, whole_pred)
    assert list(chunked.unknown_labels.values()) == ["NOT_A_LABEL"]
    assert (chunked.s_entity[chunked.s_entity >= 0] < len(chunked.s_doc)).all()


def test_repeated_gold_spans_are_found_with_small_and_huge_offsets():
    from ittifaq.evaluate.columns import row_key
    from ittifaq.evaluate.io.column_checks import _no_repeats

    def _no_repeated_spans(*cols):
        return _no_repeats(row_key(list(cols)))

    doc, label = np.array([0, 0, 1]), np.array([0, 0, 0])
    for scale in (1, 2**40):  # 2**40: the one-key form would overflow; columns are compared instead
        start, end = np.array([0, 0, 1]) * scale, np.array([3, 3, 5]) * scale
        assert not _no_repeated_spans(doc, start, end, label)
        assert _no_repeated_spans(doc, start, end, np.array([0, 1, 0]))
