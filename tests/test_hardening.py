"""Bad and hostile input (issue "Hardening"): each case here failed before its fix.

Staging files that a planted link cannot redirect, messages that cannot drive the terminal, ids matched
whole, imports that stay inside their folder and refuse malformed shapes with a message, offsets never
guessed, folder swaps that a killed run cannot lose, workers that die with their parent, and a fuzz test.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from support import run_cli

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.formats.labelstudio import read_labelstudio
from ittifaq.evaluate.io.atomic import write_outputs, write_text_atomic
from ittifaq.evaluate.io.errors import InputError, terminal_safe
from ittifaq.evaluate.io.segments import line_blocks
from ittifaq.evaluate.io.staged import MARKER, write_dir_staged

FIXTURE = Path(__file__).parent / "fixtures" / "formats_docs.jsonl"
DEAD_PID = 2**22 + 7  # above Linux's default pid_max: no such process


def _record(**changes) -> dict:
    rec = json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[1])
    rec.update(changes)
    return rec


# --- 1. staging files ---------------------------------------------------------------------------

def test_a_planted_link_at_the_old_staging_name_is_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "R.json"
    (tmp_path / f".R.json.tmp-{os.getpid()}").symlink_to(victim)
    write_outputs({str(out): b"report"})
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert out.read_bytes() == b"report" and not out.is_symlink()


def test_staging_leftovers_of_dead_runs_are_removed(tmp_path):
    out = tmp_path / "R.json"
    stale = tmp_path / f".R.json.tmp-{DEAD_PID}-abc123"
    stale.write_text("half", encoding="utf-8")
    live = tmp_path / f".R.json.tmp-{os.getpid()}-keepme"
    live.write_text("another writer of this process", encoding="utf-8")
    write_text_atomic(out, "new")
    assert not stale.exists() and live.exists() and out.read_text(encoding="utf-8") == "new"


# --- 2. control characters ----------------------------------------------------------------------

def test_control_characters_in_input_are_escaped_in_messages(tmp_path):
    hostile = "a\x1b]0;TITLE\x07\x1b[2J"
    f = tmp_path / "g.jsonl"
    f.write_text(json.dumps(_record(id=hostile), ensure_ascii=False) + "\n", encoding="utf-8")
    run = run_cli("validate", str(f))
    assert run.returncode == 1
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr
    assert "\\x1b]0;TITLE\\x07" in run.stdout
    assert terminal_safe("x\u202ey\nz", keep_newlines=False) == "x\\u202ey\\nz"


# --- 3. ids ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_id", ["fmt-a\n", "a" * 129])
def test_ids_are_matched_whole_and_limited(tmp_path, bad_id):
    f = tmp_path / "g.jsonl"
    f.write_text(json.dumps(_record(id=bad_id), ensure_ascii=False) + "\n", encoding="utf-8")
    run = run_cli("validate", str(f))
    assert run.returncode == 1 and "[bad-format]" in run.stdout and "field id" in run.stdout
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps(_record(id="a" * 128), ensure_ascii=False) + "\n", encoding="utf-8")
    assert run_cli("validate", str(ok)).returncode == 0


# --- 4. imports stay inside their folder ----------------------------------------------------------

def test_inception_order_file_cannot_reach_outside(tmp_path):
    folder = tmp_path / "xmi"
    assert run_cli("export", "--to", "inception", str(FIXTURE), str(folder)).returncode == 0
    outside = tmp_path / "outside.xmi"
    outside.write_bytes(next(folder.glob("*.xmi")).read_bytes())
    for listed in ("../outside.xmi", "/etc/passwd"):
        (folder / "documents.txt").write_text(listed + "\n", encoding="utf-8")
        run = run_cli("import", "--from", "inception", str(folder), str(tmp_path / "o.jsonl"))
        assert run.returncode == 2 and "documents.txt:1" in run.stderr and "Traceback" not in run.stderr


def test_brat_manifest_id_cannot_be_a_path(tmp_path):
    folder = tmp_path / "brat"
    assert run_cli("export", "--to", "brat", str(FIXTURE), str(folder)).returncode == 0
    (tmp_path / "secret.txt").write_text("not for you", encoding="utf-8")
    (folder / "metadata.jsonl").write_text('{"id": "../secret"}\n', encoding="utf-8")
    run = run_cli("import", "--from", "brat", str(folder), str(tmp_path / "o.jsonl"))
    assert run.returncode == 2 and "not a valid document id" in run.stderr
    for junk in ("[1,2]", '{"title": "no id"}'):
        (folder / "metadata.jsonl").write_text(junk + "\n", encoding="utf-8")
        run = run_cli("import", "--from", "brat", str(folder), str(tmp_path / "o.jsonl"))
        assert run.returncode == 2 and "metadata.jsonl:1" in run.stderr and "Traceback" not in run.stderr


# --- 5. Hub repository ids --------------------------------------------------------------------------

def test_hub_repo_id_is_validated_before_anything(tmp_path):
    run = run_cli("hub", "push", "--repo-id", "not a repo id/../x y", "--dry-run", "--corpus", str(tmp_path))
    assert run.returncode == 2 and "not a valid Hub repository id" in run.stderr


# --- 6. one huge line ------------------------------------------------------------------------------

def test_a_line_longer_than_many_blocks_comes_back_whole(tmp_path):
    f = tmp_path / "big.jsonl"
    big = b"x" * (3 << 20)
    f.write_bytes(b"first\n" + big + b"\nlast\n")
    lines = [line for block in line_blocks(f, 0, None) for line in block]
    assert lines == [b"first", big, b"last"]


# --- 7. workers die with their parent ----------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_forked_worker_dies_with_its_parent(tmp_path):
    script = textwrap.dedent("""
        import os, signal, sys, time
        from ittifaq.evaluate.scoring import parallel
        child = parallel._fork(time.sleep, 60)
        print(child[0], flush=True)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    worker = int(run.stdout.split()[0])
    deadline = time.time() + 10
    while time.time() < deadline:
        status = Path(f"/proc/{worker}/status")
        if not status.exists() or "\nState:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the forked worker outlived its killed parent")


# --- 8. crafted imports are messages, not tracebacks --------------------------------------------------

@pytest.mark.parametrize("tasks", [
    [1], [{"data": "x"}], [{"data": {"text": "نص"}, "annotations": [5]}],
    [{"data": {"text": "نص"}, "annotations": [{"result": [5]}]}],
    [{"data": {"text": "نص"}, "annotations": [{"result": [{"type": "labels", "value": [1]}]}]}],
    [{"data": {"text": "نص", "meta": [1]}}],
    [{"data": {"text": "نص"}, "annotations": [{"result": [{"type": "relation", "labels": [["x"]]}]}]}],
])
def test_label_studio_of_the_wrong_shape_is_refused_by_name(tmp_path, tasks):
    f = tmp_path / "ls.json"
    f.write_bytes(orjson.dumps(tasks))
    with pytest.raises(InputError, match="not a Label Studio export at"):
        read_labelstudio(f)


def test_junk_type_system_is_a_message(tmp_path):
    folder = tmp_path / "xmi"
    assert run_cli("export", "--to", "inception", str(FIXTURE), str(folder)).returncode == 0
    for junk in ("<not xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><typeSystemDescription>&a;'):
        (folder / "TypeSystem.xml").write_text(junk, encoding="utf-8")
        run = run_cli("import", "--from", "inception", str(folder), str(tmp_path / "o.jsonl"))
        assert run.returncode == 2 and "TypeSystem.xml" in run.stderr and "Traceback" not in run.stderr


def test_os_errors_reach_the_user_as_one_line(monkeypatch, capsys):
    from ittifaq.evaluate import cli as cli_mod

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "corpus/x.jsonl")

    monkeypatch.setattr(cli_mod.cli, "main", broken)
    with pytest.raises(SystemExit) as exit_:
        cli_mod.main()
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "error: corpus/x.jsonl: Permission denied\n"


# --- 9. a pipe given as input -----------------------------------------------------------------------

def test_a_fifo_is_named_as_such(tmp_path):
    fifo = tmp_path / "pred.jsonl"
    os.mkfifo(fifo)
    run = run_cli("score", "--gold", str(FIXTURE), "--pred", str(fifo))
    assert run.returncode == 2 and "is a pipe or a device" in run.stderr


# --- 10. Label Studio offsets are never guessed --------------------------------------------------------

def _ls_task(value_text: bool) -> list[dict]:
    text = "😀 أعلن ترامب الاتفاق"
    start = text.index("ترامب")
    value = {"start": start + 1, "end": start + 6, "labels": ["PER"]}  # UTF-16: the emoji counts twice
    if value_text:
        value["text"] = "ترامب"
    region = {"id": "p1", "type": "labels", "from_name": "label", "to_name": "text", "value": value}
    entity = {"id": "p1", "type": "textarea", "from_name": "entity", "to_name": "text", "value": {"text": ["trump"]}}
    return [{"data": {"text": text, "doc_id": "ls-1"}, "annotations": [{"result": [region, entity]}]}]


def test_utf16_offsets_without_region_text_are_refused_or_read_as_told(tmp_path):
    f = tmp_path / "ls.json"
    f.write_bytes(orjson.dumps(_ls_task(value_text=False)))
    with pytest.raises(InputError, match="--offsets"):
        read_labelstudio(f)
    doc = read_labelstudio(f, offsets="utf16")[0]
    assert [s.text for s in doc.spans] == ["ترامب"]
    f.write_bytes(orjson.dumps(_ls_task(value_text=True)))
    assert [s.text for s in read_labelstudio(f)[0].spans] == ["ترامب"]


# --- 11. folder swaps ----------------------------------------------------------------------------------

def test_an_interrupted_folder_swap_is_rolled_back_by_the_next_run(tmp_path):
    out = tmp_path / "site"
    write_dir_staged(out, lambda d: (d / "a.html").write_text("first", encoding="utf-8"), "render")
    # A run killed between its two renames: the old folder moved aside, the new one never moved in.
    aside = tmp_path / f".site.tmp-{DEAD_PID}-xyz.old"
    os.rename(out, aside)
    half = tmp_path / f".site.tmp-{DEAD_PID}-xyz"
    half.mkdir()

    def fails(d: Path) -> None:
        raise InputError("this run fails too")

    with pytest.raises(InputError):
        write_dir_staged(out, fails, "render")
    assert (out / "a.html").read_text(encoding="utf-8") == "first" and (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


# --- fuzz ----------------------------------------------------------------------------------------------

def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.3 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op < 0.5:
            b[i:i] = rng.choice([b"{", b"}", b"[", b"]", b'"', b",", b"\n", b"\x00", b"-1", b"null", b"\xd8", "ت".encode()])
        elif op < 0.7 and b:
            del b[i:i + rng.randint(1, 40)]
        elif op < 0.8:
            b = b[:i]
        else:
            j = rng.randrange(len(b) + 1)
            b[i:i] = b[j:j + rng.randint(1, 30)]
    return bytes(b)


@pytest.mark.slow
def test_fuzzed_inputs_never_give_a_traceback(tmp_path):
    """1,200 random mutations of valid brat, Label Studio, INCEpTION and JSONL inputs: every run ends with
    exit 0, 1 or 2 and no traceback, and no input file is modified."""
    rng = random.Random(20261207)
    runner = CliRunner()
    sources: dict[str, tuple[Path, str]] = {}
    for fmt, name in (("brat", "brat"), ("labelstudio", "ls.json"), ("inception", "xmi")):
        dest = tmp_path / "src" / name
        assert run_cli("export", "--to", fmt, str(FIXTURE), str(dest)).returncode == 0
        sources[fmt] = (dest, fmt)
    files = {fmt: ([dest] if dest.is_file() else sorted(p for p in dest.iterdir() if p.is_file()))
             for fmt, (dest, _) in sources.items()}
    files["jsonl"] = [FIXTURE]
    runs = 0
    for n in range(1200):
        fmt = ["brat", "labelstudio", "inception", "jsonl"][n % 4]
        work = tmp_path / f"w{n}"
        if fmt == "jsonl":
            target = work / "g.jsonl"
            work.mkdir()
            target.write_bytes(_mutate(FIXTURE.read_bytes(), rng))
            before = {target: target.read_bytes()}
            args = ["validate", str(target)] if n % 8 == 3 else ["score", "--gold", str(FIXTURE), "--pred", str(target)]
        else:
            src, _ = sources[fmt]
            if src.is_file():
                work.mkdir()
                target = work / src.name
                target.write_bytes(_mutate(src.read_bytes(), rng))
                inp = target
            else:
                (work / src.name).mkdir(parents=True)
                for p in files[fmt]:
                    (work / src.name / p.name).write_bytes(p.read_bytes())
                victim = rng.choice(sorted((work / src.name).iterdir()))
                victim.write_bytes(_mutate(victim.read_bytes(), rng))
                inp = work / src.name
            before = {p: p.read_bytes() for p in ([inp] if inp.is_file() else inp.iterdir())}
            args = ["import", "--from", fmt, str(inp), str(work / "out.jsonl")]
        result = runner.invoke(cli, args, catch_exceptions=True)
        exc = result.exception
        handled = exc is None or isinstance(exc, (SystemExit, InputError))
        assert handled, (fmt, args, repr(exc), result.output[-500:])
        code = result.exit_code if not isinstance(exc, InputError) else 2
        assert code in (0, 1, 2), (fmt, code, result.output[-500:])
        assert all(p.read_bytes() == data for p, data in before.items()), "an input was modified"
        runs += 1
    assert runs >= 1000
