"""brat specifics, offsets helpers and the export/import commands."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from support import FIXTURES

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.formats import brat
from ittifaq.evaluate.formats.offsets import from_utf16, to_utf16, utf16_index
from ittifaq.evaluate.io.atomic import write_jsonl_atomic
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError

FIXTURE = FIXTURES / "formats_docs.jsonl"


def test_utf16_offsets_both_ways():
    text = "a😀ب🇪🇬c"
    index = utf16_index(text)
    assert index == [0, 1, 3, 4, 6, 8, 9]
    for i in range(len(text) + 1):
        assert from_utf16(text, to_utf16(text, i)) == i
        assert to_utf16(text, i) == len(text[:i].encode("utf-16-le")) // 2
    with pytest.raises(ValueError):
        from_utf16(text, 2)  # inside the surrogate pair of 😀


def test_ann_lines_split_at_line_breaks_and_keep_ids():
    doc = next(d for d in read_documents([FIXTURE]) if d.id == "fmt-nested")
    lines = brat.ann_lines(doc)
    quote = next(ln for ln in lines if ln.startswith("T5\t"))
    assert quote.startswith("T5\tQUOTE 41 55;56 79\t")
    assert "\n" not in quote
    assert "#1\tAnnotatorNotes T1\tid=c.1" in lines
    assert "*\tCoref T4 T8" in lines, "both mentions of ent:jordan"


def test_brat_made_from_scratch_imports(tmp_path):
    text = "التقى رئيس مصر نظيره في القاهرة.\nوقالت مصر إن اللقاء ناجح."
    (tmp_path / "new-doc.txt").write_text(text, encoding="utf-8")
    a = text.index("مصر")
    b = text.index("مصر", a + 1)
    c = text.index("القاهرة")
    (tmp_path / "new-doc.ann").write_text(
        f"T1\tGPE {a} {a + 3}\tمصر\nT2\tGPE {b} {b + 3}\tمصر\nT3\tGPE {c} {c + 7}\tالقاهرة\n*\tCoref T1 T2\n",
        encoding="utf-8",
    )
    [doc] = brat.read_brat(tmp_path)
    assert doc.id == "new-doc" and doc.title is None
    assert [(s.id, s.text, s.entity) for s in doc.spans] == [("T1", "مصر", "E1"), ("T2", "مصر", "E1"), ("T3", "القاهرة", None)]


@pytest.mark.parametrize(
    "ann, message",
    [
        ("T1\tPERSON 0 3\txyz\n", "unknown span label 'PERSON'"),
        ("T1\tGPE 0 3\tabc\nR1\tparty Arg1:T1 Arg2:T9\n", "unknown span"),
        ("E1\tEvent:T1\n", "events"),
        ("T1\tGPE 0 3;9 12\tabc\n", "discontinuous"),
        ("T1\tGPE zero 3\tabc\n", "malformed"),
    ],
)
def test_brat_bad_ann_names_file_and_line(tmp_path, ann, message):
    (tmp_path / "d.txt").write_text("abc def ghi jkl", encoding="utf-8")
    (tmp_path / "d.ann").write_text(ann, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        brat.read_brat(tmp_path)
    assert "d.ann:" in str(err.value)


def test_brat_bytes_that_are_not_utf8_name_file_and_line(tmp_path):
    (tmp_path / "d.txt").write_text("abc def ghi jkl", encoding="utf-8")
    (tmp_path / "d.ann").write_bytes(b"T1\tGPE 0 3\tabc\nT2\tGPE 4 7\t\xff\n")
    with pytest.raises(InputError, match="not valid UTF-8") as err:
        brat.read_brat(tmp_path)
    assert "d.ann:2" in str(err.value)


@pytest.mark.parametrize("fmt", ["brat", "labelstudio", "inception", "spacy"])
def test_cli_export_import_is_byte_identical(fmt, tmp_path):
    out = tmp_path / {"brat": "b", "inception": "i", "labelstudio": "t.json", "spacy": "d.spacy"}[fmt]
    runner = CliRunner()
    r = runner.invoke(cli, ["export", "--to", fmt, str(FIXTURE), str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["import", "--from", fmt, str(out), str(tmp_path / "back.jsonl")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "back.jsonl").read_bytes() == FIXTURE.read_bytes()


def test_cli_import_by_split_and_conll_export(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["export", "--to", "brat", str(FIXTURE), str(tmp_path / "b")]).exit_code == 0
    assert runner.invoke(cli, ["import", "--from", "brat", str(tmp_path / "b"), str(tmp_path / "split")]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == [".ittifaq-output",
        "documents.jsonl", "test.jsonl", "train.jsonl", "validation.jsonl"]
    assert runner.invoke(cli, ["export", "--to", "conll", str(FIXTURE), str(tmp_path / "x.conll")]).exit_code == 0
    assert (tmp_path / "x.conll").read_text(encoding="utf-8").startswith("# columns = TOKEN")


def test_cli_import_of_invalid_data_fails_and_writes_nothing(tmp_path):
    src = tmp_path / "b"
    src.mkdir()
    (src / "d.txt").write_text("زار الوزير مصر.", encoding="utf-8")
    (src / "d.ann").write_text("T1\tGPE 11 14\tمصر\n", encoding="utf-8")  # a gold actor without entity id
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-c", "from ittifaq.evaluate.cli import main; main()", "import", "--from", "brat", str(src), str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "entity" in proc.stderr and "doc d" in proc.stderr
    assert not out.exists()
    ok = subprocess.run(
        [sys.executable, "-c", "from ittifaq.evaluate.cli import main; main()", "import", "--predictions",
         "--from", "brat", str(src), str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert out.exists()


def test_failed_folder_export_leaves_no_partial_output(tmp_path, monkeypatch):
    from ittifaq.evaluate.io.staged import write_dir_staged

    def boom(tmp):
        (tmp / "half.ann").write_text("x")
        raise InputError("stop")

    with pytest.raises(InputError):
        write_dir_staged(tmp_path / "out", boom, "export --to brat")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # a failure over an earlier run's folder leaves that folder as it was
    write_dir_staged(tmp_path / "out", lambda tmp: (tmp / "a.ann").write_text("first"), "export --to brat")
    with pytest.raises(InputError):
        write_dir_staged(tmp_path / "out", boom, "export --to brat")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".ittifaq-output", "a.ann"]
    assert (tmp_path / "out" / "a.ann").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_second_export_replaces_the_folder_whole(tmp_path):
    """Files of an earlier run would be read back with the new ones (a folder input means all its files)."""
    runner = CliRunner()
    docs = read_documents([FIXTURE])
    one = tmp_path / "one.jsonl"
    write_jsonl_atomic(one, [docs[0].to_dict()])
    out = tmp_path / "b"
    assert runner.invoke(cli, ["export", "--to", "brat", str(FIXTURE), str(out)]).exit_code == 0
    assert len(list(out.glob("*.ann"))) == len(docs) > 1
    r = runner.invoke(cli, ["export", "--to", "brat", str(one), str(out)])
    assert r.exit_code == 0, r.output
    assert [p.stem for p in out.glob("*.ann")] == [docs[0].id]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not the staging folder's 0700
    back = runner.invoke(cli, ["import", "--from", "brat", str(out), str(tmp_path / "back.jsonl")])
    assert back.exit_code == 0, back.output
    assert [d.id for d in read_documents([tmp_path / "back.jsonl"])] == [docs[0].id]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_folder_outputs_refuse_foreign_or_input_folders(tmp_path):
    runner = CliRunner()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    r = runner.invoke(cli, ["export", "--to", "brat", str(FIXTURE), str(mine)])
    assert r.exit_code != 0 and "not written by ittifaq" in str(r.exception)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    # an empty folder is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(cli, ["export", "--to", "brat", str(FIXTURE), str(empty)]).exit_code == 0
    # importing a folder into itself would replace the source
    r = runner.invoke(cli, ["import", "--from", "brat", str(empty), str(empty)])
    assert r.exit_code != 0 and "holds the input" in str(r.exception)
    assert len(list(empty.glob("*.ann"))) > 1
    # rendering into the folder that holds the input
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl_atomic(data / "docs.jsonl", [d.to_dict() for d in read_documents([FIXTURE])])
    r = runner.invoke(cli, ["render", str(data / "docs.jsonl"), "--out", str(data)])
    assert r.exit_code != 0 and "holds the input" in str(r.exception)
    assert [p.name for p in data.iterdir()] == ["docs.jsonl"]


def test_import_findings_name_the_ann_line(tmp_path):
    """A validator finding on an imported span or relation points at the .ann line to fix."""
    out = tmp_path / "b"
    runner = CliRunner()
    assert runner.invoke(cli, ["export", "--to", "brat", str(FIXTURE), str(out)]).exit_code == 0
    ann = out / "fmt-emoji.ann"
    lines = ann.read_text(encoding="utf-8").split("\n")
    k = next(i for i, line in enumerate(lines) if line.startswith("T2\tGPE "))
    lines[k] = lines[k].replace("T2\tGPE ", "T2\tCUE ")  # an actor with an entity and a party turns into a cue
    ann.write_text("\n".join(lines), encoding="utf-8")
    r = runner.invoke(cli, ["import", "--from", "brat", str(out), str(tmp_path / "back.jsonl")])
    assert r.exit_code != 0
    message = str(r.exception)
    assert f"{ann}:{k + 1} | doc fmt-emoji | span g2 (brat T2) | field spans[1].entity | [entity-on-non-actor]" in message
    rel = next(i for i, line in enumerate(lines) if line.startswith("R2\t"))
    assert f"{ann}:{rel + 1} | doc fmt-emoji | relation r2 (brat R2) |" in message
    assert "position in the import" not in message
    assert not (tmp_path / "back.jsonl").exists()
