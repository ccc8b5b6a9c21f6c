"""`ittifaq corpus build` is deterministic, atomic, and its output loads with HF `datasets` offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES, REPO, run_cli

SOURCES = FIXTURES / "sources"


def _fixture_corpus(root: Path) -> Path:
    src = root / "sources"
    src.mkdir(parents=True)
    base = (SOURCES / "fx-0001-gas-deal.txt").read_text(encoding="utf-8")
    for i, split in enumerate(["train", "validation", "test"], start=1):
        doc_id = f"fx-000{i}-gas-deal"
        text = base.replace("fx-0001-gas-deal", doc_id).replace("split: train", f"split: {split}")
        (src / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return root


@pytest.mark.slow
def test_build_is_deterministic_and_idempotent(tmp_path):
    corpus = _fixture_corpus(tmp_path / "c")
    first = run_cli("corpus", "build", "--corpus-dir", str(corpus))
    assert first.returncode == 0, first.stderr
    snapshot = {p: p.read_bytes() for p in corpus.rglob("*") if p.is_file()}
    second = run_cli("corpus", "build", "--corpus-dir", str(corpus))
    assert "0 file(s) changed" in second.stdout
    assert {p: p.read_bytes() for p in corpus.rglob("*") if p.is_file()} == snapshot
    assert run_cli("corpus", "build", "--check", "--corpus-dir", str(corpus)).returncode == 0


def test_broken_source_writes_nothing(tmp_path):
    corpus = _fixture_corpus(tmp_path / "c")
    bad = corpus / "sources" / "fx-0002-gas-deal.txt"
    bad.write_text(bad.read_text(encoding="utf-8").replace("]] أمس", " أمس"), encoding="utf-8")
    run = run_cli("corpus", "build", "--corpus-dir", str(corpus))
    assert run.returncode == 1
    assert "fx-0002-gas-deal.txt:" in run.stderr and "nothing written" in run.stderr
    assert not (corpus / "data").exists()


def test_hf_configs_load_offline(tmp_path):
    datasets = pytest.importorskip("datasets")
    corpus = _fixture_corpus(tmp_path / "c")
    assert run_cli("corpus", "build", "--corpus-dir", str(corpus)).returncode == 0
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    cache = str(tmp_path / "hf-cache")
    docs = datasets.load_dataset(str(corpus), cache_dir=cache)
    assert set(docs) == {"train", "validation", "test"}
    row = docs["train"][0]
    assert row["date"] == "2021-03-04"  # a string, never a timestamp
    assert row["spans"][0]["attributes"]["quote_kind"] is None
    ner = datasets.load_dataset(str(corpus), "ner", split="test", cache_dir=cache)
    names = ner.features["ner_tags"].feature.names
    tokens, tags = ner[0]["tokens"], [names[t] for t in ner[0]["ner_tags"]]
    assert tokens[1:4] == ["روريتانيا", "و", "فريدونيا"]
    assert tags[1:4] == ["B-GPE", "O", "B-GPE"]


def test_bundled_corpus_loads_offline(tmp_path):
    datasets = pytest.importorskip("datasets")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    cache = str(tmp_path / "hf-cache")
    docs = datasets.load_dataset(str(REPO / "corpus"), cache_dir=cache)
    ner = datasets.load_dataset(str(REPO / "corpus"), "ner", split="test", cache_dir=cache)
    import ittifaq

    assert len(docs["test"]) == len(ittifaq.load("test")) > 0
    assert {r["document_id"] for r in ner} == {d.id for d in ittifaq.load("test")}


def test_committed_corpus_is_in_step_with_sources(tmp_path):
    """What CI checks: a fresh build of the sources reproduces the committed files."""
    copy = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", copy)
    # The card's version line names the guidelines' version, read from the file beside corpus/.
    shutil.copyfile(REPO / "annotation_guidelines.md", tmp_path / "annotation_guidelines.md")
    run = run_cli("corpus", "build", "--check", "--corpus-dir", str(copy))
    assert run.returncode == 0, run.stderr


def test_ner_spans_map_to_whole_tokens():
    import ittifaq
    from ittifaq.evaluate.authoring.build import ner_records, outer_actor_spans

    for doc in ittifaq.load():
        rows = ner_records(doc)
        n_b = sum(1 for r in rows for t in r["ner_tags"] if t % 2 == 1)
        assert n_b == len(outer_actor_spans(doc)), doc.id


def test_cli_module_runs():
    run = subprocess.run([sys.executable, "-m", "ittifaq.evaluate.cli", "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "validate" in run.stdout


def test_card_agreement_figures_are_reproduced_by_the_command():
    """The card's agreement block is exactly what `ittifaq corpus agreement` computes now."""
    from ittifaq.evaluate.authoring.agreement import agreement, agreement_markdown

    card = (REPO / "corpus" / "README.md").read_text(encoding="utf-8")
    block = card.split("<!-- agreement:start -->\n", 1)[1].split("<!-- agreement:end -->", 1)[0]
    assert block == agreement_markdown(agreement(REPO / "corpus"))
