"""`ittifaq score`, `ittifaq compare` and `ittifaq agree`.

Imports stay light (click, NumPy, msgspec, orjson, jsonschema; SciPy only when a
matching needs its solver): no datasets, scikit-learn or spaCy, which a test checks
in a fresh process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ittifaq.evaluate.io.atomic import check_outputs, write_outputs
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.jsonl import jsonl_files, with_locations
from ittifaq.evaluate.render.tables import FORMATS, render_agree, render_compare, render_errors, render_score
from ittifaq.evaluate.schema import SPLITS
from ittifaq.evaluate.scoring.compare import agree as agree_docs
from ittifaq.evaluate.scoring.compare import compare as compare_docs
from ittifaq.evaluate.scoring.files import score_files

if TYPE_CHECKING:
    from ittifaq.evaluate.columns import Batch


def _read(paths: list[str], predictions: bool, allow_unknown: bool = False) -> Batch:
    """Validated columns. Lazy: the full validator (and jsonschema) loads only when the fast reader declines."""
    from ittifaq.evaluate.io.documents import read_columns

    return read_columns(paths, predictions=predictions, allow_unknown=allow_unknown)


def _gold_paths(gold: tuple[str, ...], split: str | None) -> list[str]:
    if gold:
        return list(gold)
    from ittifaq.evaluate.io.documents import corpus_files

    return [str(p) for p in corpus_files(split or "test")]


def _emit(text: str, out: str | None, also: dict[str, bytes] | None = None) -> None:
    """Print the report, or write it to `out`; with `also` (more files), all in one step."""
    outputs = dict(also or {})
    if out:
        outputs[out] = text.encode("utf-8")
    write_outputs(outputs)
    if not out:
        click.echo(text, nl=False)


def _inputs(*paths: list[str] | tuple[str, ...]) -> list[str]:

    return [str(f) for group in paths for f in jsonl_files(group)]


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


gold_option = click.option(
    "--gold", "gold", multiple=True, type=click.Path(), help="Gold JSONL file(s) or folder(s); default: the bundled corpus split."
)
split_option = click.option("--split", type=click.Choice(SPLITS), default=None, help="Bundled split when --gold is not given (default test).")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
out_option = click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the report here (atomically) instead of stdout.")
boot_option = click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True, help="Bootstrap resamples (0: no CIs).")
seed_option = click.option("--seed", type=int, default=12345, show_default=True, help="Random seed of the resamples (named in the signature).")
norm_option = click.option("--normalize", "norm", type=click.Choice(["none", "arabic"]), default="none", show_default=True,
                           help="Orthographic normalization for the prediction/gold text check.")
extra_option = click.option("--ignore-extra", is_flag=True, help="Skip predicted documents that are not in gold instead of failing.")


@click.command()
@gold_option
@click.option("--pred", "pred", multiple=True, required=True, type=click.Path(), help="Prediction JSONL file(s) or folder(s).")
@split_option
@format_option
@out_option
@boot_option
@seed_option
@norm_option
@extra_option
@click.option("--unknown-labels", type=click.Choice(["error", "spurious"]), default="error", show_default=True,
              help="A predicted span label outside the schema: fail, or count it as spurious.")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False), default=None,
              help="Write every missed, spurious, boundary and label error (JSON Lines, by document).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Also draw the report as a PNG.")
@click.option("--alignment", "alignment_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The alignment record of `ittifaq align`: adds unanchored counts, end-to-end figures and the prompt to the signature.")
def score(gold, pred, split, fmt, out, n_boot, seed, norm, ignore_extra, unknown_labels, errors_path, plot_path, alignment_path) -> None:  # noqa: ANN001
    """Score predictions against gold: spans, relations, attributes and quotes, with CIs and a signature."""
    gold_paths = _gold_paths(gold, split)
    check_outputs([out, errors_path, plot_path], _inputs(gold_paths, list(pred)))
    report = score_files(gold_paths, pred, split=split if not gold else None, n_boot=n_boot, seed=seed,
                         ignore_extra=ignore_extra, unknown_labels=unknown_labels, norm=norm,
                         collect_errors=errors_path is not None)
    data = report.to_dict()
    if alignment_path:
        from ittifaq.evaluate.llm.endtoend import end_to_end, read_alignment

        data = end_to_end(data, read_alignment(alignment_path))
    _warn(report.warnings)
    also: dict[str, bytes] = {}
    if plot_path:
        try:
            from ittifaq.evaluate.render.plots import score_image
        except ImportError as exc:
            raise click.UsageError(f"--plot is not available: {exc}") from None
        also[plot_path] = score_image(data, plot_path)
    if errors_path:
        also[errors_path] = render_errors(report.errors)
    text = render_score(data, fmt)
    if alignment_path:
        from ittifaq.evaluate.render.alignment import render_end_to_end

        text += render_end_to_end(data, fmt)
    _emit(text, out, also)


@click.command()
@gold_option
@click.option("--pred", "pred", multiple=True, required=True, type=click.Path(exists=True),
              help="A system's predictions; give it two or more times. The first is the baseline.")
@split_option
@click.option("--name", "names", multiple=True, help="A name per --pred (default: file names).")
@format_option
@out_option
@boot_option
@click.option("--n-trials", type=click.IntRange(min=0), default=1000, show_default=True, help="Approximate-randomization trials.")
@seed_option
@norm_option
@extra_option
def compare(gold, pred, split, names, fmt, out, n_boot, n_trials, seed, norm, ignore_extra) -> None:  # noqa: ANN001
    """Paired bootstrap and approximate-randomization tests of each system against the first."""
    if len(pred) < 2:
        raise click.UsageError("give --pred at least twice (the first is the baseline)")
    if names and len(names) != len(pred):
        raise click.UsageError("give one --name per --pred")
    if any(not n or not n.isprintable() for n in names):
        raise click.UsageError("each --name must be printable text on one line")
    labels = list(names) if names else [Path(p).stem for p in pred]
    if len(set(labels)) != len(labels):
        labels = [f"{i + 1}:{lab}" for i, lab in enumerate(labels)]
    gold_paths = _gold_paths(gold, split)
    check_outputs([out], _inputs(gold_paths, list(pred)))
    gold_docs = _read(gold_paths, predictions=False)
    systems = {lab: _read([p], predictions=True) for lab, p in zip(labels, pred, strict=True)}
    try:
        report = compare_docs(gold_docs, systems, gold_path=[str(p) for p in jsonl_files(gold_paths)], n_boot=n_boot,
                              n_trials=n_trials, seed=seed, ignore_extra=ignore_extra, norm=norm)
    except InputError as exc:
        files = {"gold": gold_paths} | {f"pred:{lab}": [p] for lab, p in zip(labels, pred, strict=True)}
        raise with_locations(exc, files) from None
    for sysname, info in report.systems.items():
        _warn([f"{sysname}: {w}" for w in info["warnings"]])
    _emit(render_compare(report.to_dict(), fmt), out)


@click.command()
@click.argument("first", type=click.Path(exists=True))
@click.argument("second", type=click.Path(exists=True))
@format_option
@out_option
@boot_option
@seed_option
def agree(first, second, fmt, out, n_boot, seed) -> None:  # noqa: ANN001
    """Inter-annotator agreement of two gold-form annotations: F1 per layer, scheme and relation mode, both directions."""
    check_outputs([out], _inputs([first, second]))
    a = _read([first], predictions=False)
    b = _read([second], predictions=False)
    name_a, name_b = Path(first).stem, Path(second).stem
    if name_a == name_b:
        name_a, name_b = f"1:{name_a}", f"2:{name_b}"
    try:
        report = agree_docs(a, b, name_a=name_a, name_b=name_b, n_boot=n_boot, seed=seed, path_a=first)
    except InputError as exc:
        raise with_locations(exc, {name_a: [first], name_b: [second]}) from None
    _warn(report.warnings)
    _emit(render_agree(report.to_dict(), fmt), out)
