"""The manifest of an archive run: which shards are finished, so a killed run resumes and a finished one
is a no-op.

`OUTDIR/manifest.json` names the settings the outputs depend on (model, format, size limit) and, for each
finished shard, the input's size and modification time and the counts. An entry is written (atomically) only
after the shard's output is in place, so a kill at any moment leaves either a finished shard that is listed,
a finished shard that is not (redone, with the same result), or nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.io.errors import InputError

MANIFEST = "manifest.json"
REJECTS_DIR = "rejects"
VERSION = 1


def fingerprint(shard: Path) -> dict[str, int]:
    st = shard.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def model_fingerprint(model_dir: str | os.PathLike[str]) -> str:
    """A digest of every file of a model folder: another model is another run."""
    digest = hashlib.sha256()
    root = Path(model_dir)
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        digest.update(p.relative_to(root).as_posix().encode() + b"\0")
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    """What an OUTDIR holds; `done(...)` says whether a shard can be skipped."""

    outdir: Path
    settings: dict[str, Any]
    shards: dict[str, dict[str, Any]]

    @classmethod
    def open(cls, outdir: str | os.PathLike[str], settings: dict[str, Any]) -> Manifest:
        """The manifest of `outdir`, or a new one; an OUTDIR written with other settings is refused, since
        mixing two models' outputs in one archive would go unnoticed."""
        out = Path(outdir)
        path = out / MANIFEST
        if not path.is_file():
            if out.is_dir() and any(p for p in out.iterdir() if not p.name.startswith(".")):
                raise InputError(f"{out}: folder is not empty and holds no {MANIFEST}; give a new or empty folder")
            fresh = cls(out, settings, {})
            fresh.save()  # from now on the folder is this run's, even if it is killed before a shard is done
            return fresh
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not a readable manifest ({exc})") from None
        old = data.get("settings") if data.get("version") == VERSION and isinstance(data.get("settings"), dict) else {}
        differ = [k for k in settings if old.get(k) != settings[k]]
        if differ:
            raise InputError(f"{out}: written by a run with another {', '.join(differ)}; give a new folder, "
                             f"or the same model, format and limits to resume")
        return cls(out, settings, dict(data.get("shards") or {}))

    def done(self, name: str, shard: Path) -> bool:
        entry = self.shards.get(name)
        return (entry is not None and entry.get("input") == str(shard) and entry.get("fingerprint") == fingerprint(shard)
                and (self.outdir / name).is_file())

    def record(self, name: str, shard: Path, docs: int, rejects: int) -> None:
        self.shards[name] = {"input": str(shard), "fingerprint": fingerprint(shard), "documents": docs, "rejects": rejects}
        self.save()

    def save(self) -> None:
        body = {"version": VERSION, "settings": self.settings, "shards": dict(sorted(self.shards.items()))}
        write_text_atomic(self.outdir / MANIFEST, json.dumps(body, ensure_ascii=False, indent=1) + "\n")


def rejects_path(outdir: Path, name: str) -> Path:
    """The rejects of output shard `name` (`a/s1.parquet`): `OUTDIR/rejects/a/s1.jsonl`."""
    return outdir / REJECTS_DIR / Path(name).with_suffix(".jsonl")
