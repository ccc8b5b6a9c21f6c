"""Token-level predictions back into the scorer: `import --from conll` and `import --from hf-ner`.

The whole bundled corpus goes gold -> CoNLL / `ner` config rows -> import -> score: every
span the format carries comes back exactly (F1 1.0), and what it cannot carry is lost
exactly as the module docstrings say (CoNLL: relations; `ner`: all but the outermost actors).
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from support import run_cli

from ittifaq.evaluate.formats import conll, hf_ner
from ittifaq.evaluate.formats.iob import ImportSummary, decode_iob2
from ittifaq.evaluate.io.documents import corpus_files, read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import ACTOR_LABELS, NER_TAGS
from ittifaq.evaluate.scoring.pipeline import score

#: Written for these tests: "The spokesman said that Egypt and Jordan signed the agreement in Amman."
TEXT = "وقال المتحدث إن مصر والأردن وقعتا الاتفاق في عمان."


@pytest.fixture(scope="module")
def gold() -> list:
    files = [f for f in corpus_files() if f.stat().st_size > 0]
    if not files:
        pytest.skip("no bundled corpus")
    return read_documents(files)


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def test_conll_roundtrip_whole_corpus_scores_one(gold: list, tmp_path: Path) -> None:
    conll.write_conll(gold, tmp_path / "gold.conll")
    summary = ImportSummary()
    back = conll.read_conll(tmp_path / "gold.conll", {d.id: d.text for d in gold}, summary)
    assert summary.documents == len(gold) and not summary.dropped_i
    report = score(gold, back, n_boot=0).to_dict()
    strict = report["spans"]["strict"]
    assert strict["micro"]["f1"] == 1.0
    assert all(strict["per_label"][lab]["f1"] == 1.0 for lab in strict["per_label"])
    # the documented loss: relations (and attributes) are not in CoNLL
    assert report["relations"]["strict"]["micro"]["r"] == 0.0
    assert all(not s.attributes.to_dict() or not any(s.attributes.to_dict().values()) for d in back for s in d.spans)


def test_hf_ner_roundtrip_whole_corpus(gold: list, tmp_path: Path) -> None:
    from ittifaq.evaluate.authoring.build import ner_records, outer_actor_spans

    rows = [row for d in gold for row in ner_records(d)]
    _write_rows(tmp_path / "rows.jsonl", rows)
    summary = ImportSummary()
    back = hf_ner.read_hf_ner(tmp_path / "rows.jsonl", {d.id: d.text for d in gold}, summary)
    assert [d.id for d in back] == [d.id for d in gold]
    assert not summary.dropped_i
    # every span the config carries comes back exactly
    for g, b in zip(gold, back, strict=True):
        assert sorted((s.start, s.end, s.label) for s in b.spans) == outer_actor_spans(g)
    report = score(gold, back, n_boot=0).to_dict()
    actors = report["spans"]["strict"]["per_layer"]["actors"]
    n_actors = sum(1 for d in gold for s in d.spans if s.label in ACTOR_LABELS)
    n_outer = sum(len(outer_actor_spans(d)) for d in gold)
    assert actors["p"] == 1.0
    assert actors["r"] == pytest.approx(n_outer / n_actors)
    for layer in ("agreements", "quotes", "cues"):  # not in the `ner` config
        assert report["spans"]["strict"]["per_layer"][layer]["r"] == 0.0


def test_hf_ner_tag_names_and_document_id_from_row_id(tmp_path: Path) -> None:
    tokens = ["و", "قال", "المتحدث", "إن", "مصر", "و", "الأردن", "وقعتا", "الاتفاق", "في", "عمان", "."]
    tags = ["O", "O", "O", "O", "B-GPE", "O", "B-GPE", "O", "O", "O", "B-GPE", "O"]
    _write_rows(tmp_path / "rows.jsonl", [
        {"id": "doc-a-000", "tokens": tokens[:6], "predictions": tags[:6]},
        {"id": "doc-a-001", "tokens": tokens[6:], "predictions": tags[6:]},
    ])
    (back,) = hf_ner.read_hf_ner(tmp_path / "rows.jsonl", {"doc-a": TEXT}, tag_field="predictions")
    assert [(s.text, s.label) for s in back.spans] == [("مصر", "GPE"), ("الأردن", "GPE"), ("عمان", "GPE")]


def test_token_mismatch_names_document_and_token_index(tmp_path: Path) -> None:
    tokens = ["وقال", "المتحدث", "إنه", "مصر"]
    _write_rows(tmp_path / "rows.jsonl", [{"id": "doc-a-000", "tokens": tokens, "ner_tags": [0, 0, 0, 5]}])
    with pytest.raises(InputError, match=r"doc doc-a \| token 2 \| 'إنه' does not match"):
        hf_ner.read_hf_ner(tmp_path / "rows.jsonl", {"doc-a": TEXT})
    _write_rows(tmp_path / "rows.jsonl", [{"id": "doc-a-000", "tokens": tokens[:2], "ner_tags": [0, 0]}])
    with pytest.raises(InputError, match=r"doc doc-a \| token 2 \| missing"):
        hf_ner.read_hf_ner(tmp_path / "rows.jsonl", {"doc-a": TEXT})
    _write_rows(tmp_path / "rows.jsonl", [{"id": "doc-a-000", "tokens": tokens, "ner_tags": [0, 0, 0, len(NER_TAGS)]}])
    with pytest.raises(InputError, match=r"tag 3 \| id 7 outside"):
        hf_ner.read_hf_ner(tmp_path / "rows.jsonl", {"doc-a": TEXT})


def test_strict_iob2_repair_agrees_with_seqeval() -> None:
    from seqeval.scheme import IOB2, Entities

    rng = random.Random(7)
    choices = ["O", "B-PER", "I-PER", "B-GPE", "I-GPE"]
    for _ in range(2000):
        tags = [rng.choice(choices) for _ in range(rng.randint(0, 12))]
        summary = ImportSummary()
        ours = decode_iob2(tags, summary)
        theirs = [(s, e - 1, t) for _, t, s, e in (x.to_tuple() for x in Entities([tags], IOB2).entities[0])]
        assert ours == sorted(theirs, key=lambda x: x[0])
        kept = sum(j - i for i, j, _ in ours)  # I- tags inside kept spans
        assert sum(summary.dropped_i.values()) == sum(t.startswith("I-") for t in tags) - kept


def test_cli_import_hf_ner_reports_repairs(tmp_path: Path) -> None:
    (tmp_path / "docs.jsonl").write_bytes(orjson.dumps({"id": "doc-a", "text": TEXT}) + b"\n")
    tokens = ["و", "قال", "المتحدث", "إن", "مصر", "و", "الأردن", "وقعتا", "الاتفاق", "في", "عمان", "."]
    tags = ["O", "O", "I-PER", "O", "B-GPE", "O", "B-GPE", "O", "O", "O", "I-GPE", "O"]
    _write_rows(tmp_path / "rows.jsonl", [{"id": "doc-a-000", "tokens": tokens, "ner_tags": tags}])
    out = tmp_path / "pred.jsonl"
    res = run_cli("import", "--from", "hf-ner", "--text", str(tmp_path / "docs.jsonl"), str(tmp_path / "rows.jsonl"), str(out))
    assert res.returncode == 0, res.stderr
    assert "2 orphan I- tag(s) dropped" in res.stderr and "GPE 1, PER 1" in res.stderr
    (rec,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [s["text"] for s in rec["spans"]] == ["مصر", "الأردن"]
    bad = tmp_path / "bad.jsonl"
    _write_rows(bad, [{"id": "doc-a-000", "tokens": ["قال"], "ner_tags": ["O"]}])
    res = run_cli("import", "--from", "hf-ner", "--text", str(tmp_path / "docs.jsonl"), str(bad), str(tmp_path / "x.jsonl"))
    assert res.returncode == 2 and "doc doc-a | token 0" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_cli_import_conll_with_texts(tmp_path: Path) -> None:
    from support import FIXTURES

    source = FIXTURES / "formats_docs.jsonl"
    assert run_cli("export", "--to", "conll", str(source), str(tmp_path / "x.conll")).returncode == 0
    res = run_cli("import", "--from", "conll", "--text", str(source), str(tmp_path / "x.conll"), str(tmp_path / "p.jsonl"))
    assert res.returncode == 0, res.stderr
    assert "0 orphan I- tag(s) dropped" in res.stderr
    gold = read_documents([source])
    back = read_documents([tmp_path / "p.jsonl"], predictions=True)
    assert [sorted((s.start, s.end, s.label) for s in d.spans) for d in back] == [
        sorted((s.start, s.end, s.label) for s in d.spans) for d in gold]
    res = run_cli("import", "--from", "brat", "--text", str(source), str(tmp_path), str(tmp_path / "q.jsonl"))
    assert res.returncode == 2 and "apply to --from conll and hf-ner only" in res.stderr
