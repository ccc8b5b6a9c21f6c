"""Run a trained baseline on new raw Arabic text: a string, a text file, or JSONL records with id and text."""

from __future__ import annotations

import glob
import os
import re
import sys
from pathlib import Path

from ittifaq.baselines.interface import Baseline, load_model, system_class
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import iter_records
from ittifaq.evaluate.schema import DOC_ID_PATTERN, Document

#: Where `ittifaq annotate` looks for a model when --model is not given, in order.
DEFAULT_MODELS = ("models/crf", "models/spacy", "models/rules")
_DOC_ID = re.compile(DOC_ID_PATTERN)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return slug if slug and _DOC_ID.match(slug) else "doc-1"


def read_inputs(text: str | None = None, in_path: str | Path | None = None) -> list[Document]:
    """Documents to annotate; a JSONL record needs a valid `id` and a string `text` (other keys are ignored)."""
    if (text is None) == (in_path is None):
        raise InputError("give either a TEXT argument or --in FILE (not both)")
    if text is not None:
        if not text.strip():
            raise InputError("TEXT is empty")
        return [Document(id="doc-1", text=text)]
    path = Path(in_path)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix != ".jsonl":
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        if not raw.strip():
            raise InputError(f"{path}: file is empty")
        return [Document(id=_slug(path.stem), text=raw)]
    docs: list[Document] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line in iter_records([path]):
        where = f"{line.path}:{line.lineno}"
        if line.error:
            problems.append(f"{where} | {line.error}")
            continue
        rec = line.record
        doc_id, body = rec.get("id"), rec.get("text")
        if not isinstance(doc_id, str) or not _DOC_ID.match(doc_id):
            problems.append(f"{where} | field id | must be a string matching {DOC_ID_PATTERN}")
            continue
        if not isinstance(body, str):
            problems.append(f"{where} | doc {doc_id} | field text | missing or not a string")
            continue
        if doc_id in seen:
            problems.append(f"{where} | doc {doc_id} | field id | duplicate document id")
            continue
        seen.add(doc_id)
        docs.append(Document(id=doc_id, text=body))
    if problems:
        raise InputError(f"{len(problems)} problem(s) in {path}:\n" + "\n".join(problems))
    if not docs:
        raise InputError(f"{path}: no records")
    return docs


def is_archive_request(in_paths: tuple[str, ...], out: str | None, fmt: str, workers: int | None, engine: str | None,
                       address: str | None, max_chars: int | None) -> bool:
    """Whether `ittifaq annotate` was asked for an archive run rather than one file: an archive option, more
    than one --in, an --in that is a glob, a folder or a .jsonl.gz/.parquet shard, or an --out folder."""
    if len(in_paths) > 1 or fmt == "parquet" or any(x is not None for x in (workers, engine, address, max_chars)):
        return True
    if out is not None and (Path(out).is_dir() or out.endswith(("/", os.sep))):
        return True
    return any(glob.has_magic(p) or Path(p).is_dir() or p.endswith((".jsonl.gz", ".parquet")) for p in in_paths)


def resolve_model(model_dir: str | Path | None) -> Baseline:
    """The model in `model_dir`; else the first saved default; else `rules` trained on the bundled train split."""
    if model_dir is not None:
        return load_model(model_dir)
    for candidate in DEFAULT_MODELS:
        if (Path(candidate) / "baseline.json").is_file():
            return load_model(candidate)
    from ittifaq.evaluate.io.documents import load_corpus

    try:
        train = load_corpus("train")
    except InputError as exc:
        raise InputError(f"no trained model found ({', '.join(DEFAULT_MODELS)}) and no bundled corpus to train one: {exc}; "
                         "run `ittifaq baseline train crf` or pass --model DIR") from None
    if not train:
        raise InputError("no trained model found and the bundled train split is empty; pass --model DIR")
    print("note: no saved model found; training the `rules` baseline on the bundled train split "
          "(run `ittifaq benchmark` or `ittifaq baseline train crf` to save better ones)", file=sys.stderr)
    model = system_class("rules")()
    model.train(train, None, progress=False)
    return model


def describe(doc: Document) -> str:
    """A readable listing of one prediction: spans with attributes, then relations."""
    by_id = doc.span_by_id()
    lines = [f"# {doc.id}"]
    for s in doc.spans:
        attrs = {k: v for k, v in s.attributes.to_dict().items() if v is not None}
        extra = (f" entity={s.entity}" if s.entity else "") + "".join(f" {k}={v}" for k, v in attrs.items())
        lines.append(f"{s.id}\t{s.label}\t{s.start}-{s.end}\t{s.text}{extra}")
    for r in doc.relations:
        lines.append(f"{r.id}\t{r.label}\t{r.head} ({by_id[r.head].text}) -> {r.tail} ({by_id[r.tail].text})")
    return "\n".join(lines)
