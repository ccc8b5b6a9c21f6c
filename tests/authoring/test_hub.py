"""`ittifaq hub push`: dry run, mocked upload, and `load_dataset` on the exact pushed folder."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXTURES

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError

FIXTURE = FIXTURES / "formats_docs.jsonl"
SPLITS = {"fmt-emoji": "train", "fmt-nested": "validation", "fmt-script": "test", "fmt-empty": "train"}


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """A small corpus folder laid out by the real corpus builder (card, JSONL, Parquet)."""
    from ittifaq.evaluate.authoring.build import build_outputs

    root = tmp_path / "corpus"
    docs = copy.deepcopy(read_documents([FIXTURE]))
    for d in docs:
        d.split = SPLITS[d.id]
    for path, data in build_outputs(docs, root).items():
        if root in path.parents:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    (root / "sources").mkdir()
    (root / "sources" / "notes.txt").write_text("not for the hub", encoding="utf-8")
    (root / "data" / ".hidden.jsonl").write_text("", encoding="utf-8")
    return root


class FakeApi:
    """Records the calls and keeps a copy of the uploaded folder (the staging folder is removed after)."""

    calls: list[tuple[str, dict]] = []
    pushed: Path | None = None
    keep: Path | None = None

    def create_repo(self, **kw):
        FakeApi.calls.append(("create_repo", kw))

    def upload_folder(self, **kw):
        FakeApi.calls.append(("upload_folder", kw))
        shutil.copytree(kw["folder_path"], FakeApi.keep)
        FakeApi.pushed = FakeApi.keep
        return type("CommitInfo", (), {"commit_url": "https://hub.invalid/commit/1"})()


@pytest.fixture()
def fake_api(monkeypatch, tmp_path):
    import huggingface_hub

    FakeApi.calls, FakeApi.pushed, FakeApi.keep = [], None, tmp_path / "pushed"
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    return FakeApi


def _expected_files(root: Path) -> list[str]:
    return ["README.md"] + sorted(p.relative_to(root).as_posix() for p in (root / "data").rglob("*")
                                  if p.is_file() and not p.name.startswith("."))


def test_dry_run_lists_files_and_card_metadata(corpus, fake_api):
    r = CliRunner().invoke(cli, ["hub", "push", "--repo-id", "org/ittifaq", "--dry-run", "--corpus", str(corpus)])
    assert r.exit_code == 0, r.output
    listed = [ln.split("\t")[0].strip() for ln in r.output.splitlines() if ln.startswith("  ") and "\t" in ln]
    assert listed == _expected_files(corpus)
    assert "data/train.jsonl" in listed and "data/documents/train.parquet" in listed
    assert "sources/notes.txt" not in r.output and ".hidden" not in r.output
    assert "config_name: documents" in r.output and "card metadata:" in r.output
    assert fake_api.calls == [], "a dry run uploads nothing"


def test_push_uploads_exactly_the_listed_files_and_they_load(corpus, fake_api, tmp_path):
    r = CliRunner().invoke(cli, ["hub", "push", "--repo-id", "org/ittifaq", "--private", "--corpus", str(corpus)])
    assert r.exit_code == 0, r.output
    assert [c[0] for c in fake_api.calls] == ["create_repo", "upload_folder"]
    assert fake_api.calls[0][1] == {"repo_id": "org/ittifaq", "repo_type": "dataset", "private": True, "exist_ok": True}
    assert fake_api.calls[1][1]["repo_type"] == "dataset"
    pushed = fake_api.pushed
    assert sorted(p.relative_to(pushed).as_posix() for p in pushed.rglob("*") if p.is_file()) == sorted(_expected_files(corpus))
    for rel in _expected_files(corpus):
        assert (pushed / rel).read_bytes() == (corpus / rel).read_bytes()

    from datasets import load_dataset

    docs = load_dataset(str(pushed), "documents", cache_dir=str(tmp_path / "hf-cache"))
    assert {s: docs[s].num_rows for s in docs} == {"train": 2, "validation": 1, "test": 1}
    row = next(r for r in docs["train"] if r["id"] == "fmt-emoji")
    gold = next(d for d in read_documents([FIXTURE]) if d.id == "fmt-emoji")
    assert row["text"] == gold.text
    assert [(s["start"], s["end"], s["label"]) for s in row["spans"]] == [(s.start, s.end, s.label) for s in gold.spans]
    ner = load_dataset(str(pushed), "ner", cache_dir=str(tmp_path / "hf-cache"))
    assert ner["train"].num_rows > 0 and "ner_tags" in ner["train"].features


def test_invalid_corpus_pushes_nothing(corpus, fake_api):
    path = corpus / "data" / "train.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"label":"GPE"', '"label":"COUNTRY"', 1), encoding="utf-8")
    r = CliRunner().invoke(cli, ["hub", "push", "--repo-id", "org/ittifaq", "--corpus", str(corpus)])
    assert isinstance(r.exception, InputError)
    assert "COUNTRY" in str(r.exception) and "train.jsonl:" in str(r.exception)
    assert fake_api.calls == []


def test_card_must_exist_and_name_pushed_files(corpus, fake_api):
    from ittifaq.evaluate.authoring import hub

    (corpus / "data" / "ner" / "test.parquet").unlink()
    with pytest.raises(InputError, match="data/ner/test.parquet"):
        hub.check_corpus(corpus)
    (corpus / "README.md").unlink()
    with pytest.raises(InputError, match="dataset card is missing"):
        hub.check_corpus(corpus)
    with pytest.raises(InputError, match="ORG/NAME"):
        hub.push(corpus, "no-slash", False, corpus.parent / "stage", api=FakeApi())


def test_default_corpus_is_the_clone_holding_the_current_folder(corpus, fake_api, monkeypatch):
    clone = corpus.parent
    (clone / "pyproject.toml").write_text("[project]\nname = 'ittifaq'\n", encoding="utf-8")
    (clone / "sub").mkdir()
    monkeypatch.chdir(clone / "sub")
    r = CliRunner().invoke(cli, ["hub", "push", "--repo-id", "org/ittifaq", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert f"corpus folder: {corpus.resolve()}" in r.output
    assert f"from {corpus.resolve()} to dataset" in r.output
    assert "data/documents/train.parquet" in r.output


def test_without_a_clone_hub_push_asks_for_corpus(tmp_path, fake_api, monkeypatch):
    import ittifaq.evaluate.cli.hub as cli_hub

    installed = tmp_path / "site-packages" / "ittifaq"
    (installed / "corpus" / "data").mkdir(parents=True)
    monkeypatch.setattr(cli_hub, "REPO_ROOT", installed)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["hub", "push", "--repo-id", "org/ittifaq", "--dry-run"])
    assert r.exit_code == 2
    assert "--corpus" in r.output and "no clone" in r.output
    assert fake_api.calls == []
