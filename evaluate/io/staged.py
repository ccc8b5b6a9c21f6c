"""Writing a folder whole: staged beside it and swapped in, so a failure never leaves half of one."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ittifaq.evaluate.io.atomic import clean_stale, process_alive
from ittifaq.evaluate.io.errors import InputError

#: Left in every folder these commands write: it marks the folder as theirs to replace.
MARKER = ".ittifaq-output"
_SWAP = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[^/]+\.old")


def recover_swap(target: Path) -> None:
    """Finish what a run killed in the middle of a folder swap left: the old folder was moved aside
    (`.NAME.tmp-PID-X.old`) but the new one never took its place. The old folder is put back, so the
    output is the last complete run's, never nothing; a swap that did finish leaves nothing to do."""
    if target.exists() or target.is_symlink():
        return
    for aside in sorted(target.parent.glob(f".{target.name}.tmp-*.old")):
        m = _SWAP.fullmatch(aside.name)
        if m and m.group("name") == target.name and not process_alive(int(m.group("pid"))) and (aside / MARKER).is_file():
            os.rename(aside, target)
            return


def write_dir_staged(out: str | os.PathLike[str], write: Callable[[Path], object], command: str,
                     inputs: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Run `write(tmp_dir)` in a staging folder, then swap it in for `out` whole.

    On error `out` is untouched. On success `out` holds this run's files and nothing
    else: files of an earlier run left beside them would be read back with them (a
    folder given as input means its every .jsonl, .ann or .xmi). A non-empty folder
    that an earlier `ittifaq` run did not write is refused, never emptied, and so is a
    folder holding one of the command's `inputs`.
    """
    target = Path(out)
    here = target.resolve()
    for given in inputs:
        src = Path(given).resolve()
        if src == here or here in src.parents:
            raise InputError(f"{target}: holds the input {given}; give another output folder (nothing was written)")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target}: exists and is not a folder (`ittifaq {command}` writes a folder, and replaces it whole)")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise InputError(f"{target}: folder is not empty and was not written by ittifaq; give a new or empty "
                         f"folder (nothing was written)")
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_swap(target)
    clean_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would become the output folder's mode
    old = target.parent / f"{tmp.name}.old"
    try:
        write(tmp)
        files = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file())
        (tmp / MARKER).write_text(f"Written by `ittifaq {command}`, which replaces this whole folder when it "
                                  f"writes here again.\n", encoding="utf-8")
        if target.exists():
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if old.exists():
                os.rename(old, target)
            raise
        return [target / f for f in files]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
