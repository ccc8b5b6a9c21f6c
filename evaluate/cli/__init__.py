"""The `ittifaq` command line: a click group whose sub-commands load lazily.

Each command lives in the module that owns its job; importing them only when
invoked keeps `ittifaq score` free of heavy libraries (datasets, scikit-learn, spaCy).
"""

from __future__ import annotations

import importlib
import sys

import click

from ittifaq import __version__
from ittifaq.evaluate.io.errors import InputError, terminal_safe

#: command name -> "module:attribute" of a click.Command
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("ittifaq.evaluate.cli.validate:validate", "Check JSONL files against schema v1; report every problem."),
    "stats": ("ittifaq.evaluate.cli.stats:stats", "Counts per label, attribute, genre, region and split."),
    "corpus": ("ittifaq.evaluate.cli.corpus:corpus", "Build the corpus from its annotated sources; agreement figures."),
    "score": ("ittifaq.evaluate.cli.score:score", "Score predictions against gold: spans, relations, attributes, quotes."),
    "compare": ("ittifaq.evaluate.cli.score:compare", "Paired significance tests between systems."),
    "agree": ("ittifaq.evaluate.cli.score:agree", "Inter-annotator agreement between two annotations."),
    "baseline": ("ittifaq.baselines.cli:baseline", "Train and run the baselines (rules, crf, spacy)."),
    "benchmark": ("ittifaq.baselines.cli:benchmark", "Train, select and score every baseline; write results/."),
    "annotate": ("ittifaq.baselines.cli:annotate", "Run a trained model on new raw Arabic text."),
    "events": ("ittifaq.evaluate.cli.events:events", "Event tables: one row per agreement and per quote (CSV, Parquet)."),
    "export": ("ittifaq.evaluate.cli.formats:export", "Export to brat, CoNLL, spaCy, Label Studio, INCEpTION."),
    "import": ("ittifaq.evaluate.cli.formats:import_", "Import from brat, Label Studio, INCEpTION."),
    "render": ("ittifaq.evaluate.cli.formats:render", "A static right-to-left HTML browser of a corpus or predictions."),
    "hub": ("ittifaq.evaluate.cli.hub:hub", "Publish corpus/ to the HuggingFace Hub."),
    "llm": ("ittifaq.evaluate.cli.llm:llm", "Score LLMs: versioned prompts, and running them on a chat-completions endpoint."),
    "align": ("ittifaq.evaluate.cli.align:align", "Anchor an LLM run's string answers to offsets; count what cannot be anchored."),
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ittifaq")
def cli() -> None:
    """ittifaq: Arabic international-relations corpus and scorer."""


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(standalone_mode=True)
    except InputError as exc:
        click.echo(f"error: {terminal_safe(str(exc))}", err=True)
        sys.exit(2)
    except OSError as exc:
        # Unreadable files, read errors, no network: the path and the reason, never a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {terminal_safe(where + (exc.strerror or str(exc)))}", err=True)
        sys.exit(2)

