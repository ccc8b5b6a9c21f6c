"""`ittifaq corpus build|check|agreement`: the annotators' workflow."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click
import orjson

from ittifaq.evaluate.authoring.agreement import agreement as compute
from ittifaq.evaluate.authoring.agreement import agreement_markdown
from ittifaq.evaluate.authoring.build import (
    build_outputs,
    compile_sources,
    same_content,
    source_files,
    write_all,
)
from ittifaq.evaluate.authoring.frame import FrameError, frame_findings, read_frame
from ittifaq.evaluate.authoring.splits import assign_splits, frozen_splits, rewrite_split
from ittifaq.evaluate.io.atomic import write_bytes_atomic, write_text_atomic
from ittifaq.evaluate.io.documents import REPO_ROOT
from ittifaq.evaluate.render.blocks import replace_block

DEFAULT_CORPUS = REPO_ROOT / "corpus"


@click.group()
def corpus() -> None:
    """Build the corpus from its annotated sources and measure agreement."""


@corpus.command()
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPUS, show_default=True)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if the built files differ from the committed ones.")
def build(corpus_dir: Path, check_only: bool) -> None:
    """Compile corpus/sources/*.txt into corpus/data (documents and ner configs), schema and card header."""
    files = source_files(corpus_dir / "sources")
    docs, errors = compile_sources(files)
    if errors:
        for e in errors:
            click.echo(e, err=True)
        click.echo(f"{len(errors)} error(s); nothing written", err=True)
        sys.exit(1)
    try:
        frame = read_frame(files)
    except FrameError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    outputs = build_outputs(docs, corpus_dir, frame)
    if check_only:
        stale = [p for p, data in outputs.items() if not same_content(p, data)]
        for p in stale:
            click.echo(f"out of date: {p}", err=True)
        sys.exit(1 if stale else 0)
    changed = write_all(outputs)
    click.echo(f"built {len(docs)} document(s) from {len(files)} source(s); {len(changed)} file(s) changed")


@corpus.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--raw", "raw_text", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A plain-text file the compiled text must equal (blind annotation of a given text).")
def check(files: tuple[Path, ...], raw_text: Path | None) -> None:
    """Compile and validate single source files, printing a summary of each (writes nothing)."""
    docs, errors = compile_sources(files)
    if raw_text is not None:
        expected = raw_text.read_text(encoding="utf-8").strip()
        for d in docs:
            if d.text != expected:
                at = next((i for i, (a, b) in enumerate(zip(d.text or "", expected, strict=False)) if a != b), min(len(d.text or ""), len(expected)))
                errors.append(f"{d.id}: compiled text differs from {raw_text} at character {at}: "
                              f"{(d.text or '')[max(0, at - 20):at + 20]!r} vs {expected[max(0, at - 20):at + 20]!r}")
    for e in errors:
        click.echo(e, err=True)
    for d in docs:
        labels = Counter(s.label for s in d.spans)
        rels = Counter(r.label for r in d.relations)
        words = len(d.text.split()) if d.text else 0
        click.echo(
            f"{d.id}: {words} words; spans "
            + ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
            + "; relations "
            + ", ".join(f"{k}={v}" for k, v in sorted(rels.items()))
        )
    sys.exit(1 if errors else 0)


@corpus.command()
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPUS, show_default=True)
@click.option("--write/--no-write", default=True, show_default=True, help="Write corpus/agreement/agreement.json and the card's agreement block.")
def agreement(corpus_dir: Path, write: bool) -> None:
    """Agreement between first and blind second annotations (the figures of the dataset card)."""
    result = compute(corpus_dir)
    md = agreement_markdown(result)
    click.echo(md)
    if write:
        write_bytes_atomic(corpus_dir / "agreement" / "agreement.json", orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        card = corpus_dir / "README.md"
        text = card.read_text(encoding="utf-8")
        write_text_atomic(card, replace_block(text, "<!-- agreement:start -->", "<!-- agreement:end -->", md))


@corpus.command()
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPUS, show_default=True)
@click.option("--write", is_flag=True, help="Rewrite the split: line of the sources whose split changes.")
def splits(corpus_dir: Path, write: bool) -> None:
    """Assign splits by event: events of corpus/events.tsv keep theirs, new events are placed by region and genre."""
    files = source_files(corpus_dir / "sources")
    try:
        frame = read_frame(files)
    except FrameError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    wanted = assign_splits(frame, frozen_splits(corpus_dir / "events.tsv"))
    moves = [(m, wanted[m.id]) for m in frame if m.id in wanted and wanted[m.id] != m.split]
    for m, split in moves:
        click.echo(f"{m.id}: {m.split} -> {split}")
        if write:
            rewrite_split(Path(m.path), split)
    missing = [m.id for m in frame if m.id not in wanted]
    for i in missing:
        click.echo(f"{i}: names no event; split left as it is", err=True)
    click.echo(f"{len(moves)} source(s) {'moved' if write else 'would move'}; run `ittifaq corpus build` next" if moves
               else "every split already follows its event")


@corpus.command()
@click.option("--corpus-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPUS, show_default=True)
@click.option("--release", is_flag=True, help="Treat the release targets (size, balance, years) as errors too.")
def frame(corpus_dir: Path, release: bool) -> None:
    """Check the sampling frame, balance and variety rules; exit 1 when an invariant (or, with --release, a target) fails."""
    files = source_files(corpus_dir / "sources")
    docs, errors = compile_sources(files)
    try:
        metas = read_frame(files)
    except FrameError as exc:
        errors.append(str(exc))
    if errors:
        for e in errors:
            click.echo(e, err=True)
        sys.exit(1)
    findings = frame_findings(docs, metas)
    for f in findings:
        click.echo(f"{'target' if f.target else 'error'} [{f.rule}] {f.message}")
    failed = [f for f in findings if release or not f.target]
    click.echo(f"{len(docs)} documents; {sum(not f.target for f in findings)} invariant finding(s), "
               f"{sum(f.target for f in findings)} release target(s) not yet met")
    sys.exit(1 if failed else 0)
