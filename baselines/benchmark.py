"""`ittifaq benchmark`: train every baseline on train, select on validation, score on test.

The test split is read only to predict and score, after all choices are made. Every
figure comes from the project scorer (ittifaq.evaluate.scoring.score) with its
bootstrap CIs and signature. Outputs (written atomically):
- results/benchmark.json: {"signature", "systems": {name: score report dict},
  "meta": {name: {"params", "selection", "seconds"}}, "data": {...}}
- results/benchmark.md: leaderboard, per-label tables, attribute accuracies and a few
  error-analysis examples of the best system;
- results/predictions/<name>.test.jsonl: each system's test predictions, so any number
  can be re-scored with `ittifaq score`;
- the trained models under `models_dir` (default models/) for `ittifaq annotate`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ittifaq.baselines.interface import SYSTEMS, prediction_record, system_class
from ittifaq.evaluate.io.atomic import write_jsonl_atomic, write_text_atomic
from ittifaq.evaluate.io.documents import REPO_ROOT, corpus_files, read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.report_tree import quote_figure, relation_figure, span_figure
from ittifaq.evaluate.schema import LAYERS, RELATION_LABELS, SPAN_LABELS, Document
from ittifaq.evaluate.scoring.signature import gold_hash

#: (row name, path into a report dict) of the leaderboard, in order.
LEADERBOARD: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"{layer} {scheme} F1", span_figure(scheme, "per_layer", layer)) for layer in LAYERS for scheme in ("strict", "partial")),
    ("all spans strict micro F1", span_figure("strict", "micro")),
    ("relations strict F1", relation_figure("strict", "micro")),
    ("relations entity F1", relation_figure("entity", "micro")),
    ("quote speaker (entity) F1", quote_figure("speaker_entity")),
    ("quote cue F1", quote_figure("cue")),
)


@dataclass
class BenchmarkResult:
    signature: str
    systems: dict[str, dict[str, Any]]
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature, "systems": self.systems, "meta": self.meta, "data": self.data}


def split_files(data_dir: str | Path | None) -> dict[str, Path]:
    """The train/validation/test files of the bundled corpus or of `data_dir`."""
    files = {}
    for split in ("train", "validation", "test"):
        (path,) = corpus_files(split, data_dir)
        files[split] = path
    return files


def load_splits(data_dir: str | Path | None) -> tuple[dict[str, Path], dict[str, list[Document]]]:
    files = split_files(data_dir)
    docs = {split: read_documents([path]) for split, path in files.items()}
    if not docs["train"]:
        raise InputError(f"{files['train']}: the training split is empty")
    if not docs["test"]:
        raise InputError(f"{files['test']}: the test split is empty")
    return files, docs


def data_record(path: Path, n_docs: int) -> dict[str, Any]:
    """Which data a run used, written the same on every machine: a file of the package by its path
    inside it (not where it was installed), and every file by the hash prefix of its bytes."""
    try:
        shown = path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        shown = str(path)
    return {"file": shown, "sha256_prefix": gold_hash([path]), "documents": n_docs}


def figure(report: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = report
    for key in path:
        node = node[key]
    return node


def fmt(fig: dict[str, Any]) -> str:
    """`0.812 [0.750, 0.861]` (or `n/a` when undefined)."""
    f1 = fig.get("f1")
    if f1 is None:
        return "n/a"
    ci = (fig.get("ci") or {}).get("f1")
    return f"{f1:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{f1:.3f}"


#: Earlier benchmark.json files kept under `<out>/reference/`; the report compares CI widths with them.
REFERENCE_DIR = "reference"


def half_width(fig: dict[str, Any]) -> float | None:
    """Half the width of a figure's 95 % CI (None without an interval)."""
    ci = (fig.get("ci") or {}).get("f1")
    return None if not ci else (ci[1] - ci[0]) / 2


def load_references(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The reference runs kept beside the results, by file stem."""
    folder = Path(out_dir) / REFERENCE_DIR
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def widths_markdown(result: BenchmarkResult, references: dict[str, dict[str, Any]]) -> list[str]:
    """One table per reference run: each leaderboard figure's CI half-width then and now."""
    lines: list[str] = []
    names = list(result.systems)
    now_docs = result.data.get("test", {}).get("documents")
    for ref_name, ref in references.items():
        ref_docs = ref.get("data", {}).get("test", {}).get("documents")
        lines += [f"95 % CI half-widths, `{_md(ref_name)}` ({ref_docs} test documents) → this run ({now_docs} test documents):", "",
                  "| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for label, path in LEADERBOARD:
            cells = []
            for name in names:
                now = half_width(figure(result.systems[name], path))
                then = half_width(figure(ref["systems"][name], path)) if name in ref.get("systems", {}) else None
                cells.append(("n/a" if then is None else f"±{then:.3f}") + " → " + ("n/a" if now is None else f"±{now:.3f}"))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def run_benchmark(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "results",
    systems: tuple[str, ...] = tuple(SYSTEMS),
    models_dir: str | Path | None = "models",
    n_boot: int = 1000,
    seed: int = 12345,
    progress: bool = True,
    system_options: dict[str, dict[str, Any]] | None = None,
) -> BenchmarkResult:
    """Train, select, predict and score each system; write results/; return everything."""
    from ittifaq.evaluate.scoring.pipeline import score

    files, docs = load_splits(data_dir)
    out = Path(out_dir)
    reports: dict[str, dict[str, Any]] = {}
    meta: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[dict[str, Any]]] = {}
    signature = ""
    for name in systems:
        model = system_class(name)(**(system_options or {}).get(name, {}))
        t0 = time.perf_counter()
        model.train(docs["train"], docs["validation"] or None, progress=progress)
        t1 = time.perf_counter()
        pred = model.predict(docs["test"], progress=progress)
        t2 = time.perf_counter()
        report = score(docs["test"], pred, gold_path=files["test"], split="test", n_boot=n_boot, seed=seed, collect_errors=True)
        t3 = time.perf_counter()
        if models_dir is not None:
            model.save(Path(models_dir) / name)
        write_jsonl_atomic(out / "predictions" / f"{name}.test.jsonl", [prediction_record(d) for d in pred])
        reports[name] = report.to_dict()
        errors[name] = report.errors
        signature = report.signature
        meta[name] = {
            "params": model.params,
            "selection": model.selection,
            "seconds": {"train_and_select": round(t1 - t0, 2), "predict": round(t2 - t1, 2), "score": round(t3 - t2, 2)},
        }
    result = BenchmarkResult(
        signature=signature,
        systems=reports,
        meta=meta,
        data={split: data_record(files[split], len(d)) for split, d in docs.items()},
        errors=errors,
    )
    write_text_atomic(out / "benchmark.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
    write_text_atomic(out / "benchmark.md", render_markdown(result, load_references(out)))
    return result


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def leaderboard_rows(result: BenchmarkResult) -> list[tuple[str, list[str]]]:
    return [(label, [fmt(figure(rep, path)) for rep in result.systems.values()]) for label, path in LEADERBOARD]


def render_markdown(result: BenchmarkResult, references: dict[str, dict[str, Any]] | None = None, n_examples: int = 3) -> str:
    names = list(result.systems)
    lines = [
        "# ittifaq baselines: test-split results",
        "",
        f"Signature: `{result.signature}`",
        "",
        "Each system was trained on the train split, its hyper-parameters chosen on the validation split only, "
        "then it predicted the test split once; every figure is from `ittifaq.evaluate.scoring.score` "
        "(95 % bootstrap CI over documents in brackets). Regenerate with `ittifaq benchmark`.",
        "",
        "| data | documents |",
        "|---|---|",
        *[f"| {split} | {info['documents']} |" for split, info in result.data.items()],
        "",
        "## Leaderboard",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for label, cells in leaderboard_rows(result):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Seconds (train + select / predict / score): " + "; ".join(
        f"{n} {m['seconds']['train_and_select']} / {m['seconds']['predict']} / {m['seconds']['score']}"
        for n, m in result.meta.items()
    ), ""]
    if references:
        lines += ["## How much narrower the intervals are", "",
                  f"Earlier runs kept in `{REFERENCE_DIR}/` beside these results, on smaller corpora.", "",
                  *widths_markdown(result, references)]
    lines += ["## Spans per label (strict P / R / F1; partial F1)", ""]
    lines += ["| label | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label in SPAN_LABELS:
        cells = []
        for rep in result.systems.values():
            s = rep["spans"]["strict"]["per_label"][label]
            p = rep["spans"]["partial"]["per_label"][label]
            cells.append(" / ".join("n/a" if s[k] is None else f"{s[k]:.2f}" for k in ("p", "r", "f1"))
                         + f"; {'n/a' if p['f1'] is None else format(p['f1'], '.2f')}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Relations per label (strict F1; entity F1)", ""]
    lines += ["| relation | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label in RELATION_LABELS:
        cells = []
        for rep in result.systems.values():
            s = rep["relations"]["strict"]["per_label"][label]["f1"]
            e = rep["relations"]["entity"]["per_label"][label]["f1"]
            cells.append(f"{'n/a' if s is None else format(s, '.2f')}; {'n/a' if e is None else format(e, '.2f')}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Attribute accuracy on matched spans", ""]
    lines += ["| attribute | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    attrs = next(iter(result.systems.values()))["attributes"] if result.systems else {}
    for attr in attrs:
        cells = []
        for rep in result.systems.values():
            a = rep["attributes"][attr]
            cells.append("n/a" if a["accuracy"] is None else f"{a['accuracy']:.2f} ({a['correct']}/{a['total']})")
        lines.append(f"| {attr} | " + " | ".join(cells) + " |")
    lines += ["", "## How each system was configured (chosen on validation)", ""]
    for name, m in result.meta.items():
        params = {k: v for k, v in m["params"].items() if k != "relation_candidates"}
        lines.append(f"- `{name}`: `{_md(json.dumps(params, ensure_ascii=False))}`")
    lines += ["", *error_examples(result, n_examples)]
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def readme_block(markdown: str) -> str:
    """The README's results section: benchmark.md without its title, headings one level down."""
    lines = markdown.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(("#" + ln) if ln.startswith("## ") else ln for ln in lines).strip() + "\n"


WIDTHS_START, WIDTHS_END = "<!-- widths:start -->", "<!-- widths:end -->"


def update_card(card: str | Path, result: BenchmarkResult, references: dict[str, dict[str, Any]]) -> bool:
    """Replace the dataset card's CI-width block; False if the card has no such block."""
    from ittifaq.evaluate.io.atomic import write_text_atomic
    from ittifaq.evaluate.render.blocks import replace_block

    path = Path(card)
    text = path.read_text(encoding="utf-8")
    if WIDTHS_START not in text or WIDTHS_END not in text:
        return False
    block = "\n".join([f"Signature: `{result.signature}`", "", *widths_markdown(result, references)]).strip() + "\n"
    write_text_atomic(path, replace_block(text, WIDTHS_START, WIDTHS_END, block))
    return True


def update_readme(readme: str | Path, markdown: str) -> bool:
    """Replace the README's results block with the new benchmark tables; False if it has no block."""
    from ittifaq.evaluate.io.atomic import write_text_atomic
    from ittifaq.evaluate.render.blocks import replace_block

    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    write_text_atomic(path, replace_block(text, README_START, README_END, readme_block(markdown)))
    return True


def error_examples(result: BenchmarkResult, n: int) -> list[str]:
    """A few errors of each kind for the system with the best headline span F1."""
    if not result.systems:
        return []
    best = max(result.systems, key=lambda s: result.systems[s]["headline"]["spans"]["f1"] or 0.0)
    lines = [f"## Error analysis: examples from `{best}` (best strict span F1)", ""]
    lines += ["| kind | document | gold | predicted |", "|---|---|---|---|"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for err in result.errors.get(best, []):
        by_kind.setdefault(err.get("kind", "?"), []).append(err)

    def show(item: dict[str, Any] | None) -> str:
        if not item:
            return ""
        return f"{item.get('label', '')} «{_md(str(item.get('text', '')))}»"

    for kind in sorted(by_kind):
        for err in by_kind[kind][:n]:
            if kind.startswith("relation"):
                rel = f"{err.get('label')}: {show(err.get('head'))} → {show(err.get('tail'))}"
                gold, pred = (rel, "") if kind.endswith("missed") else ("", rel)
            else:
                gold, pred = show(err.get("gold")), show(err.get("pred"))
            lines.append(f"| {kind} | {_md(str(err.get('doc', '')))} | {gold} | {pred} |")
    counts = {k: len(v) for k, v in sorted(by_kind.items())}
    lines += ["", "Error counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()), ""]
    return lines
