"""Click commands `baseline` (train, predict), `benchmark` and `annotate`, registered in evaluate/cli.py."""

from __future__ import annotations

from pathlib import Path

import click

from ittifaq.baselines.interface import DEFAULT_SYSTEMS, SYSTEMS

_SYSTEM = click.Choice(list(SYSTEMS))


def transformer_options(fn):  # type: ignore[no-untyped-def]
    """The options of the `transformer` baseline (ignored by the others)."""
    options = [
        click.option("--model", "base_model", default=None,
                     help="transformer: a HuggingFace encoder, by hub name or local folder (safetensors weights)."),
        click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
                     help="transformer: where to train."),
        click.option("--epochs", type=click.IntRange(min=1), default=None,
                     help="transformer: epochs to train (the best on validation is kept; default 3)."),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="transformer: AdamW learning rate (default 5e-5)."),
        click.option("--batch-size", type=click.IntRange(min=1), default=None, help="transformer: windows per batch (default 8)."),
        click.option("--max-length", type=click.IntRange(min=8), default=None,
                     help="transformer: subwords per window, special tokens included (default 256)."),
        click.option("--span-vectors", type=click.Choice(["auto", "on", "off"]), default=None,
                     help="transformer: the encoder's span vectors as features of the attribute and relation "
                          "classifiers: auto (chosen on validation, the default), on, off."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def system_options(names: tuple[str, ...] | list[str], base_model: str | None, device: str, **opts: object) -> dict:
    """Constructor options per system: the transformer's, when it is asked for."""
    given = {k: v for k, v in opts.items() if v is not None}
    if "transformer" not in names:
        if base_model or given or device != "cpu":
            raise click.UsageError("--model, --device, --epochs, --lr, --batch-size, --max-length and --span-vectors "
                                   "apply to transformer only")
        return {}
    if not base_model:
        raise click.UsageError("transformer needs --model NAME_OR_PATH (a HuggingFace encoder; "
                               "`ittifaq baseline tiny-encoder DIR` builds a tiny one for tests)")
    return {"transformer": {"model": base_model, "device": device, **given}}


@click.group()
def baseline() -> None:
    """Train and run the baselines (rules, crf, spacy, transformer)."""


@baseline.command("train")
@click.argument("name", type=_SYSTEM)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Model folder (default models/NAME).")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Folder holding train.jsonl and validation.jsonl (default: the bundled corpus).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@transformer_options
def train_cmd(name: str, out_dir: str | None, data_dir: str | None, quiet: bool, base_model: str | None, device: str,
              **opts: object) -> None:
    """Train NAME on the train split, choosing hyper-parameters on validation; save it."""
    from ittifaq.baselines.interface import system_class
    from ittifaq.evaluate.io.documents import corpus_files, read_documents
    from ittifaq.evaluate.io.errors import InputError

    options = system_options([name], base_model, device, **opts).get(name, {})
    train = read_documents(corpus_files("train", data_dir))
    if not train:
        raise InputError("the training split is empty")
    validation = read_documents(corpus_files("validation", data_dir))
    model = system_class(name)(**options)
    model.train(train, validation or None, progress=not quiet)
    target = Path(out_dir or Path("models") / name)
    model.save(target)
    click.echo(f"saved {name} model to {target} (params: {model.params})", err=True)


@baseline.command("predict")
@click.argument("name", type=_SYSTEM)
@click.option("--model", "model_dir", type=click.Path(file_okay=False), required=True, help="A trained model folder.")
@click.option("--in", "in_path", type=click.Path(dir_okay=False), required=True,
              help="JSONL records with id and text (gold files work), or a raw text file.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True, help="Prediction JSONL to write.")
@click.option("--token-rows", "rows_path", type=click.Path(dir_okay=False), default=None,
              help="transformer: also write its actor head's word tags as `ner`-config rows (what "
                   "`ittifaq import --from hf-ner` reads).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="transformer: where to run the encoder.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def predict_cmd(name: str, model_dir: str, in_path: str, out_path: str, rows_path: str | None, device: str,
                quiet: bool) -> None:
    """Predict spans, attributes and relations for every document of --in."""
    from ittifaq.baselines.annotate import read_inputs
    from ittifaq.baselines.interface import prediction_record, system_class
    from ittifaq.evaluate.io.atomic import write_jsonl_atomic

    if name != "transformer" and (rows_path or device != "cpu"):
        raise click.UsageError("--token-rows and --device apply to transformer only")
    docs = read_inputs(None, in_path)
    model = system_class(name).load(model_dir)
    set_device(model, device)
    if rows_path:
        preds, rows = model.predict_with_rows(docs, progress=not quiet)  # type: ignore[attr-defined]
        write_jsonl_atomic(rows_path, rows)
        click.echo(f"wrote {len(rows)} token row(s) to {rows_path}", err=True)
    else:
        preds = model.predict(docs, progress=not quiet)
    write_jsonl_atomic(out_path, [prediction_record(p) for p in preds])
    click.echo(f"wrote {len(preds)} prediction(s) to {out_path}", err=True)


def set_device(model: object, device: str) -> None:
    """Move a loaded transformer model to `device`; the other baselines run on the CPU only."""
    if hasattr(model, "set_device"):
        model.set_device(device)
    elif device != "cpu":
        raise click.UsageError("--device applies to a transformer model only")


@baseline.command("tiny-encoder")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Folder holding train.jsonl (default: the bundled corpus).")
def tiny_encoder_cmd(out: str, data_dir: str | None) -> None:
    """Write a tiny random encoder (WordPiece on the train split, 2 layers, hidden 32) to OUT, for --model in tests."""
    from ittifaq.baselines.tiny_encoder import build_tiny_encoder
    from ittifaq.evaluate.io.documents import corpus_files, read_documents

    build_tiny_encoder(read_documents(corpus_files("train", data_dir)), out)
    click.echo(f"wrote a tiny random encoder to {out}", err=True)


def _systems(value: str | None) -> tuple[str, ...]:
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise click.BadParameter(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}",
                                 param_hint="--systems")
    return names


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Folder holding train/validation/test.jsonl (default: the bundled corpus).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="results", show_default=True,
              help="Where benchmark.json, benchmark.md and predictions/ go.")
@click.option("--models", "models_dir", type=click.Path(file_okay=False), default="models", show_default=True,
              help="Where the trained models are saved (for `ittifaq annotate`).")
@click.option("--system", "systems", type=_SYSTEM, multiple=True,
              help=f"Only these systems (repeatable; default {', '.join(DEFAULT_SYSTEMS)}).")
@click.option("--systems", "systems_csv", default=None, help="The same, comma-separated: rules,crf,spacy,transformer.")
@click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap resamples for the CIs.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Bootstrap seed.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--readme", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Also regenerate the results block of this README (between <!-- results:start/end -->).")
@click.option("--card", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Also regenerate the CI-width block of this dataset card (between <!-- widths:start/end -->).")
@transformer_options
def benchmark(data_dir: str | None, out_dir: str, models_dir: str, systems: tuple[str, ...], systems_csv: str | None,
              n_boot: int, seed: int, quiet: bool, readme: str | None, card: str | None, base_model: str | None,
              device: str, **opts: object) -> None:
    """Train every baseline on train, select on validation, score on test; print and write the leaderboard.

    The default systems need no weights and no GPU; `transformer` runs only when asked
    for (--systems …,transformer --model NAME_OR_PATH).
    """
    from rich.console import Console
    from rich.table import Table

    from ittifaq.baselines.benchmark import leaderboard_rows, run_benchmark

    chosen = tuple(dict.fromkeys([*systems, *_systems(systems_csv)])) or DEFAULT_SYSTEMS
    options = system_options(chosen, base_model, device, **opts)
    result = run_benchmark(data_dir, out_dir, chosen, models_dir, n_boot=n_boot, seed=seed, progress=not quiet,
                           system_options=options)
    table = Table(title="ittifaq baselines on the test split (F1 [95% CI])")
    table.add_column("figure", no_wrap=True)
    for name in result.systems:
        table.add_column(name, justify="right")
    for label, cells in leaderboard_rows(result):
        table.add_row(label, *cells)
    console = Console()
    console.print(table)
    click.echo(f"signature: {result.signature}")
    click.echo(f"wrote {Path(out_dir) / 'benchmark.json'} and {Path(out_dir) / 'benchmark.md'}")
    if readme:
        from ittifaq.baselines.benchmark import update_readme

        markdown = (Path(out_dir) / "benchmark.md").read_text(encoding="utf-8")
        if not update_readme(readme, markdown):
            raise click.ClickException(f"{readme} has no <!-- results:start --> … <!-- results:end --> block")
        click.echo(f"updated the results block of {readme}")
    if card:
        from ittifaq.baselines.benchmark import load_references, update_card

        if not update_card(card, result, load_references(out_dir)):
            raise click.ClickException(f"{card} has no <!-- widths:start --> … <!-- widths:end --> block")
        click.echo(f"updated the CI-width block of {card}")


@click.command()
@click.argument("text", required=False)
@click.option("--in", "in_paths", multiple=True,
              help="A raw text file (one article) or JSONL records with id and text; or, for an archive, a glob, "
                   "folder or shard (.jsonl, .jsonl.gz, .parquet), repeatable.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
              help="A trained model folder (default: models/crf, models/spacy or models/rules if saved).")
@click.option("--out", "out_path", type=click.Path(), default=None,
              help="Write JSONL here instead of stdout; for an archive, the output folder.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text", "parquet"]), default="jsonl", show_default=True,
              help="jsonl: prediction records; text: a readable listing; parquet: archive output shards.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Archive: processes (or Ray actors), each with the model.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default=None, help="Archive: this machine, or Ray (`ittifaq[ray]`).")
@click.option("--address", default=None, help="Archive, --engine ray: an existing cluster (ray://HOST:PORT or auto).")
@click.option("--max-chars", type=click.IntRange(1), default=None, help="Archive: longer texts go to the rejects (default 200000).")
@click.option("--quiet", is_flag=True, help="Archive: no progress bar.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where a transformer model runs (the other baselines run on the CPU; archive runs use the CPU).")
def annotate(text: str | None, in_paths: tuple[str, ...], model_dir: str | None, out_path: str | None, fmt: str,
             workers: int | None, engine: str | None, address: str | None, max_chars: int | None, quiet: bool,
             device: str) -> None:
    """Label new raw Arabic TEXT (or --in FILE) with a trained baseline; or a whole archive of shards
    (--in GLOB ... --out OUTDIR), resumable, on N workers or a Ray cluster."""
    from ittifaq.baselines.annotate import is_archive_request

    if is_archive_request(in_paths, out_path, fmt, workers, engine, address, max_chars):
        if device != "cpu":
            raise click.UsageError("--device applies to TEXT or --in FILE runs; archive runs use the CPU")
        _annotate_archive(text, in_paths, model_dir, out_path, fmt, workers or 1, engine or "local", address,
                          max_chars, quiet)
        return
    import orjson

    from ittifaq.baselines.annotate import describe, read_inputs, resolve_model
    from ittifaq.baselines.interface import prediction_record
    from ittifaq.evaluate.io.atomic import write_jsonl_atomic, write_text_atomic

    docs = read_inputs(text, in_paths[0] if in_paths else None)
    model = resolve_model(model_dir)
    set_device(model, device)
    preds = model.predict(docs)
    if fmt == "text":
        body = "\n\n".join(describe(p) for p in preds) + "\n"
        if out_path:
            write_text_atomic(out_path, body)
        else:
            click.echo(body, nl=False)
        return
    records = [prediction_record(p) for p in preds]
    if out_path:
        write_jsonl_atomic(out_path, records)
    else:
        for rec in records:
            click.echo(orjson.dumps(rec).decode("utf-8"))


def _annotate_archive(text: str | None, in_paths: tuple[str, ...], model_dir: str | None, out_dir: str | None, fmt: str,
                      workers: int, engine: str, address: str | None, max_chars: int | None, quiet: bool) -> None:
    from ittifaq.baselines.archive_run import plan, run_local
    from ittifaq.evaluate.archive.shards import MAX_CHARS
    from ittifaq.evaluate.io.errors import InputError

    if text is not None:
        raise InputError("an archive run takes --in GLOB, not a TEXT argument")
    if not in_paths or not out_dir:
        raise InputError("an archive run needs --in GLOB (repeatable) and --out OUTDIR")
    if model_dir is None:
        raise InputError("an archive run needs --model DIR (a trained model folder)")
    if fmt == "text":
        raise InputError("an archive run writes --format jsonl or parquet")
    if address and engine != "ray":
        raise InputError("--address is for --engine ray")
    limit = max_chars or MAX_CHARS
    todo = plan(in_paths, out_dir, model_dir, fmt, limit)
    if not todo.todo:
        click.echo(f"nothing to do: all {todo.skipped} shard(s) of {out_dir} are finished", err=True)
        return
    if engine == "ray":
        from ittifaq.baselines.ray_engine import run_ray

        result = run_ray(todo, model_dir, fmt, workers, address, max_chars=limit, progress=not quiet)
    else:
        result = run_local(todo, model_dir, fmt, workers, max_chars=limit, progress=not quiet)
    rate = result.documents / result.seconds if result.seconds else 0.0
    click.echo(f"annotated {result.documents} document(s) in {result.shards} shard(s) ({result.skipped} already done) "
               f"in {result.seconds:.1f} s ({rate:.1f} docs/s); {result.rejects} reject(s)"
               + (f" listed in {Path(out_dir) / 'rejects'}" if result.rejects else ""), err=True)
