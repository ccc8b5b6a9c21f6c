"""Publishing corpus/ to the HuggingFace Hub as a dataset repository.

Only the dataset card (README.md, whose YAML header declares the configs) and the
data files under data/ go; everything is checked first: the JSONL validates, the
card parses, and every file a config names is among the files sent. The exact
upload set is copied to a staging folder and that folder is what `upload_folder`
sends, so what the tests load with `load_dataset` is byte for byte what is pushed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.validation import validate_paths

CARD = "README.md"
DATA_DIR = "data"
DATA_SUFFIXES = (".jsonl", ".parquet")
#: What makes a folder a clone of ittifaq: the sources the corpus is built from, and the project file.
CLONE_MARKS = ("corpus/sources", "pyproject.toml")


def clone_corpus(start: str | os.PathLike[str], package_root: str | os.PathLike[str]) -> Path | None:
    """corpus/ of the clone holding `start` (or one of its parents), else of the clone the
    package runs from (an editable install); None when neither is a clone.

    An installed package carries only the JSONL of the corpus (no Parquet, no sources), so
    it is never what `hub push` should publish."""
    here = Path(start).resolve()
    for folder in (here, *here.parents, Path(package_root).resolve()):
        if all((folder / mark).exists() for mark in CLONE_MARKS):
            return folder / "corpus"
    return None


def card_metadata(corpus_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The YAML header of the dataset card (InputError if absent or unreadable)."""
    card = Path(corpus_dir) / CARD
    if not card.exists():
        raise InputError(f"{card}: the dataset card is missing (run `ittifaq corpus build`)")
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n") or text.find("\n---\n", 4) < 0:
        raise InputError(f"{card}: the card has no YAML header between --- lines")
    try:
        meta = yaml.safe_load(text[4 : text.find("\n---\n", 4)])
    except yaml.YAMLError as exc:
        raise InputError(f"{card}: the card's YAML header does not parse ({exc})") from None
    if not isinstance(meta, dict):
        raise InputError(f"{card}: the card's YAML header is not a mapping")
    return meta


def hub_files(corpus_dir: str | os.PathLike[str]) -> list[str]:
    """The files to push, relative to `corpus_dir`: the card, then data/ files in order."""
    root = Path(corpus_dir)
    data = root / DATA_DIR
    if not data.is_dir():
        raise InputError(f"{data}: no data folder")
    files = sorted(
        p.relative_to(root).as_posix()
        for p in data.rglob("*")
        if p.is_file() and p.suffix in DATA_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    return [CARD, *files]


def check_corpus(corpus_dir: str | os.PathLike[str]) -> tuple[list[str], dict[str, Any]]:
    """Validate everything that would be pushed; returns (files, card metadata)."""
    root = Path(corpus_dir)
    meta = card_metadata(root)
    files = hub_files(root)
    jsonl = [root / f for f in files if f.endswith(".jsonl")]
    if not jsonl:
        raise InputError(f"{root / DATA_DIR}: no .jsonl data to publish")
    problems = validate_paths(jsonl)
    if problems:
        shown = "\n".join(str(p) for p in problems[:50])
        raise InputError(f"{len(problems)} problem(s); nothing pushed:\n{shown}")
    listed = set(files)
    for config in meta.get("configs") or []:
        data_files = config.get("data_files") or []
        if isinstance(data_files, (str, dict)):
            data_files = [data_files]
        for entry in data_files:
            paths = entry.get("path") if isinstance(entry, dict) else entry
            for path in [paths] if isinstance(paths, str) else paths or []:
                if "*" not in path and path not in listed:
                    raise InputError(f"{root / CARD}: config {config.get('config_name')!r} names {path}, "
                                     "which is not among the files to push")
    return files, meta


def stage(corpus_dir: str | os.PathLike[str], files: list[str], dest: str | os.PathLike[str]) -> Path:
    """Copy exactly `files` into `dest` (the folder that is uploaded)."""
    out = Path(dest)
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(corpus_dir) / rel, target)
    return out


def check_repo_id(repo_id: str) -> None:
    """Refuse a repository id the Hub would refuse (ORG/NAME, its characters and length), before any work."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise InputError(f"--repo-id {repo_id!r} is not a valid Hub repository id: {exc}") from None
    if repo_id.count("/") != 1:
        raise InputError(f"--repo-id {repo_id!r} must look like ORG/NAME")


def push(corpus_dir: str | os.PathLike[str], repo_id: str, private: bool, staging: str | os.PathLike[str],
         api: Any = None, commit_message: str = "Publish the ittifaq corpus") -> Any:
    """Validate, stage, create the dataset repo (if needed) and upload the staged folder."""
    check_repo_id(repo_id)
    files, _ = check_corpus(corpus_dir)
    folder = stage(corpus_dir, files, staging)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    try:
        api.create_repo(repo_id=repo_id, repo_type="dataset", private=private, exist_ok=True)
        return api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 commit_message=commit_message)
    except Exception as exc:  # network and Hub errors come from requests/httpx/huggingface_hub alike
        raise InputError(f"could not push to the Hub ({type(exc).__name__}): {str(exc).splitlines()[0] if str(exc) else ''}"
                         ) from None
