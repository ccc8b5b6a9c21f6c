"""`ittifaq corpus build`: compile authoring sources into the HuggingFace dataset repository.

Deterministic: the same sources always give byte-identical files, so CI can
rebuild and `git diff --exit-code corpus/` proves the committed data is in step.
Nothing is written unless every source compiles and validates.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.authoring.frame import SourceMeta, events_of, events_tsv
from ittifaq.evaluate.authoring.sources import SourceError, read_source
from ittifaq.evaluate.authoring.stats import corpus_stats, stats_markdown
from ittifaq.evaluate.io.atomic import write_outputs
from ittifaq.evaluate.io.validation import Problem, check_record
from ittifaq.evaluate.render.blocks import replace_block
from ittifaq.evaluate.schema import Document
from ittifaq.evaluate.text.tokenize import bio_tags, tokenize

SENTENCE_END = {".", "؟", "?", "!", "…"}


def source_files(root: str | os.PathLike[str]) -> list[Path]:
    """The article sources under `root`, in id order."""
    return sorted(Path(root).glob("*.txt"))


def compile_sources(files: Iterable[Path]) -> tuple[list[Document], list[str]]:
    """Compile and validate every source; return documents and every error found."""
    docs: list[Document] = []
    errors: list[str] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            doc = read_source(f)
        except SourceError as exc:
            errors.append(str(exc))
            continue
        if doc.id in seen:
            errors.append(f"{f}:2:1: document id {doc.id!r} already used by {seen[doc.id]}")
            continue
        seen[doc.id] = f
        problems: list[Problem] = check_record(doc.to_dict(), str(f), 0)
        errors.extend(f"{f}: {p.message} [{p.rule}]" + (f" ({p.item_id})" if p.item_id else "") for p in problems)
        docs.append(doc)
    return docs, errors


def outer_actor_spans(doc: Document) -> list[tuple[int, int, str]]:
    """Actor spans not nested inside another actor span (BIO cannot nest)."""
    actors = sorted((s for s in doc.spans if s.label in S.ACTOR_LABELS), key=lambda s: (s.start, -s.end))
    out: list[tuple[int, int, str]] = []
    reach = -1
    for s in actors:
        if s.start >= reach:
            out.append((s.start, s.end, s.label))
            reach = s.end
    return out


def ner_records(doc: Document) -> list[dict[str, Any]]:
    """The `ner` config rows of one document: one sentence each, BIO tags as ClassLabel ids."""
    text = doc.text or ""
    actors = outer_actor_spans(doc)
    cuts = [p for a, b, _ in actors for p in (a, b)]
    tokens = tokenize(text, boundaries=cuts)
    tags = bio_tags(tokens, actors)
    index = {t: i for i, t in enumerate(S.NER_TAGS)}
    rows: list[dict[str, Any]] = []
    cur_tok: list[str] = []
    cur_tag: list[int] = []
    prev_end = 0

    def flush() -> None:
        if cur_tok:
            rows.append(
                {
                    "id": f"{doc.id}-{len(rows):03d}",
                    "document_id": doc.id,
                    "split": doc.split,
                    "tokens": list(cur_tok),
                    "ner_tags": list(cur_tag),
                }
            )
            cur_tok.clear()
            cur_tag.clear()

    for (a, b), tag in zip(tokens, tags, strict=True):
        if "\n" in text[prev_end:a] and tag != "I" and not tag.startswith("I-"):
            flush()
        cur_tok.append(text[a:b])
        cur_tag.append(index[tag])
        prev_end = b
        if text[a:b] in SENTENCE_END:
            flush()
    flush()
    return rows


def _dump_jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _ner_features_yaml() -> list[dict[str, Any]]:
    return [
        {"name": "id", "dtype": "string"},
        {"name": "document_id", "dtype": "string"},
        {"name": "split", "dtype": "string"},
        {"name": "tokens", "sequence": "string"},
        {
            "name": "ner_tags",
            "sequence": {"class_label": {"names": {i: t for i, t in enumerate(S.NER_TAGS)}}},
        },
    ]


def _parquet(records: list[dict[str, Any]], features_yaml: list[dict[str, Any]]) -> bytes:
    """Parquet bytes with the exact declared schema.

    The HF configs read Parquet, not the JSONL: pyarrow's JSON reader infers ISO
    dates as timestamps whatever features the card declares, so `date` would load
    as "2014-07-16 00:00:00". Parquet carries the declared types.
    """
    import pyarrow as pa  # heavy: only the build writes Parquet
    import pyarrow.parquet as pq
    from datasets import Features

    features = Features._from_yaml_list(features_yaml)
    table = pa.Table.from_pylist(records, schema=features.arrow_schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=False)
    return buf.getvalue()


def card_metadata() -> dict[str, Any]:
    """The dataset card's YAML header, generated from the schema so the two cannot drift."""
    doc_features = S.hf_features()["features"]
    ner_features = _ner_features_yaml()
    return {
        "pretty_name": "ittifaq: Arabic international-relations news with actors, agreements and quotes",
        "language": ["ar"],
        "license": "cc-by-4.0",
        "multilinguality": "monolingual",
        # Texts and annotations were produced by language-model assistants working under the
        # project's guidelines and review (the card says so): machine-generated, not expert-written.
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "source_datasets": ["original"],
        "size_categories": ["n<1K"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["relation-extraction", "quotation-attribution", "coreference", "arabic", "international-relations", "event-extraction"],
        "configs": [
            {
                "config_name": "documents",
                "default": True,
                "data_files": [{"split": s, "path": f"data/documents/{s}.parquet"} for s in S.SPLITS],
            },
            {
                "config_name": "ner",
                "data_files": [{"split": s, "path": f"data/ner/{s}.parquet"} for s in S.SPLITS],
            },
        ],
        "dataset_info": [
            {"config_name": "documents", "features": doc_features},
            {"config_name": "ner", "features": ner_features},
        ],
    }


STATS_START, STATS_END = "<!-- stats:start -->", "<!-- stats:end -->"
VERSION_START, VERSION_END = "<!-- version:start -->", "<!-- version:end -->"
_VERSION_HEADING = re.compile(r"^## (\d+\.\d+\.\d+)(?: \((.+)\))?\s*$", re.MULTILINE)


def corpus_version(changelog: Path) -> tuple[str, bool]:
    """The corpus version (the changelog's first heading) and whether it is released."""
    m = _VERSION_HEADING.search(changelog.read_text(encoding="utf-8")) if changelog.exists() else None
    if m is None:
        return "0.0.0", False
    return m.group(1), "unreleased" not in (m.group(2) or "")


_GUIDELINES_HEADING = re.compile(r"Guidelines version \*\*(\d+\.\d+)\*\*")


def version_line(changelog: Path, guidelines: Path) -> str:
    """The card's version line: the changelog's version, the schema's and the guidelines' own heading."""
    version, released = corpus_version(changelog)
    state = "" if released else " (unreleased: work in progress)"
    m = _GUIDELINES_HEADING.search(guidelines.read_text(encoding="utf-8")) if guidelines.exists() else None
    guide = f" · guidelines v{m.group(1)}" if m else ""
    return f"**Version {version}**{state} · schema v{S.SCHEMA_VERSION}{guide}."


def render_card(existing: str | None, stats_md: str | None = None, version_md: str | None = None) -> str:
    """Regenerate the card's YAML header and composition block, keeping its hand-written prose."""
    header = yaml.safe_dump(card_metadata(), sort_keys=False, allow_unicode=True, width=1000)
    body = ""
    if existing and existing.startswith("---\n"):
        end = existing.find("\n---\n", 3)
        body = existing[end + len("\n---\n") :] if end >= 0 else ""
    elif existing:
        body = existing
    if stats_md is not None:
        body = replace_block(body, STATS_START, STATS_END, stats_md)
    if version_md is not None:
        body = replace_block(body, VERSION_START, VERSION_END, version_md)
    return f"---\n{header}---\n{body}"


#: The JSON Schema files written beside the data: file name -> for predictions.
SCHEMA_FILES = {"document.schema.json": False, "prediction.schema.json": True}


def schema_file(predictions: bool) -> bytes:
    """A committed JSON Schema file's bytes, made from `schema.RECORDS` (a test fails when one is stale)."""
    return (json.dumps(S.json_schema(predictions), ensure_ascii=False, indent=2) + "\n").encode()


def build_outputs(docs: list[Document], corpus_dir: Path, frame: Sequence[SourceMeta] | None = None) -> dict[Path, bytes]:
    """Every generated file and its bytes (nothing written yet); with the sources' frame, events.tsv too."""
    outputs: dict[Path, bytes] = {}
    if frame is not None:
        outputs[corpus_dir / "events.tsv"] = events_tsv(events_of(frame))
    by_split = {s: sorted((d for d in docs if d.split == s), key=lambda d: d.id) for s in S.SPLITS}
    for split, split_docs in by_split.items():
        records = [d.to_dict() for d in split_docs]
        outputs[corpus_dir / "data" / f"{split}.jsonl"] = _dump_jsonl(records)
        outputs[corpus_dir / "data" / "documents" / f"{split}.parquet"] = _parquet(records, S.hf_features()["features"])
        ner_rows = [row for d in split_docs for row in ner_records(d)]
        outputs[corpus_dir / "data" / "ner" / f"{split}.parquet"] = _parquet(ner_rows, _ner_features_yaml())
    for name, predictions in SCHEMA_FILES.items():
        outputs[corpus_dir / name] = schema_file(predictions)
    card = corpus_dir / "README.md"
    existing = card.read_text(encoding="utf-8") if card.exists() else None
    version_md = version_line(corpus_dir / "CHANGELOG.md", corpus_dir.parent / "annotation_guidelines.md") + "\n"
    outputs[card] = render_card(existing, stats_markdown(corpus_stats(docs)), version_md).encode()
    return outputs


def same_content(path: Path, data: bytes) -> bool:
    """Whether `path` already holds `data` (Parquet compared by schema and rows, not bytes).

    Parquet bytes carry the writer's version, so a rebuild with another pyarrow must
    not count as a change when the table is the same.
    """
    if not path.exists():
        return False
    old = path.read_bytes()
    if old == data:
        return True
    if path.suffix != ".parquet":
        return False
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(old)).equals(pq.read_table(io.BytesIO(data)), check_metadata=True)
    except Exception:
        return False


def write_all(outputs: dict[Path, bytes]) -> list[Path]:
    """Write the files whose content changed, staged and renamed together; returns what changed."""
    changed = {path: data for path, data in outputs.items() if not same_content(path, data)}
    write_outputs({os.fspath(p): data for p, data in changed.items()})
    return list(changed)
