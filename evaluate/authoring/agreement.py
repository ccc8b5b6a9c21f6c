"""Inter-annotator agreement of the corpus: first annotation vs blind second annotation.

The blind annotations live in `corpus/agreement/blind/<id>.txt` (same authoring
format, same text); the first annotations, frozen as they were before
adjudication, in `corpus/agreement/first/<id>.txt`, so the figures stay
reproducible after the gold sources are corrected. Agreement is the project's own scorer run with the first
annotation as reference: F1 is symmetric under swapping reference and candidate,
so one direction gives the pairwise F1 (precision and recall of both directions
are kept in the JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ittifaq.evaluate.authoring.build import compile_sources, source_files
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import LAYERS, Document
from ittifaq.evaluate.scoring.pipeline import score

#: The span schemes and relation modes the card reports agreement under (a subset of the scorer's).
CARD_SCHEMES = ("strict", "partial")
CARD_REL_MODES = ("strict", "entity")
N_BOOT = 1000
SEED = 12345


def paired_documents(corpus_dir: Path) -> tuple[list[Document], list[Document]]:
    """First and blind annotations of the doubly annotated articles, in id order."""
    blind_files = source_files(corpus_dir / "agreement" / "blind")
    if not blind_files:
        raise InputError(f"{corpus_dir / 'agreement' / 'blind'}: no blind annotation found")
    blind, errors = compile_sources(blind_files)
    if errors:
        raise InputError("blind annotations do not compile:\n" + "\n".join(errors))
    ids = {d.id for d in blind}
    missing = [i for i in sorted(ids) if not (corpus_dir / "agreement" / "first" / f"{i}.txt").exists()]
    if missing:
        raise InputError(f"no frozen first annotation in agreement/first/ for: {', '.join(missing)}")
    first, errors = compile_sources([corpus_dir / "agreement" / "first" / f"{i}.txt" for i in sorted(ids)])
    if errors:
        raise InputError("first annotations do not compile:\n" + "\n".join(errors))
    by_id = {d.id: d for d in first}
    for d in blind:
        if by_id[d.id].text != d.text:
            raise InputError(f"{d.id}: the blind annotation's text differs from the article's text")
    return sorted(first, key=lambda d: d.id), sorted(blind, key=lambda d: d.id)


def agreement(corpus_dir: Path) -> dict[str, Any]:
    """Per-layer span F1 (strict, partial) and relation F1 (strict, entity) with bootstrap CIs."""
    first, blind = paired_documents(corpus_dir)
    # The signature hashes the frozen first-annotation files themselves, so it changes only when they do.
    first_files = [corpus_dir / "agreement" / "first" / f"{d.id}.txt" for d in first]
    ab = score(first, blind, gold_path=first_files, split="mixed", n_boot=N_BOOT, seed=SEED)
    ba = score(blind, first, n_boot=0, seed=SEED)
    layers = {
        layer: {
            scheme: {
                "f1": ab.spans[scheme]["per_layer"][layer].f1,
                "ci": (ab.spans[scheme]["per_layer"][layer].ci or {}).get("f1"),
                "first_as_reference": {"p": ab.spans[scheme]["per_layer"][layer].p, "r": ab.spans[scheme]["per_layer"][layer].r},
                "blind_as_reference": {"p": ba.spans[scheme]["per_layer"][layer].p, "r": ba.spans[scheme]["per_layer"][layer].r},
                "counts": ab.spans[scheme]["per_layer"][layer].counts,
            }
            for scheme in CARD_SCHEMES
        }
        for layer in LAYERS
    }
    relations = {
        mode: {
            "f1": ab.relations[mode]["micro"].f1,
            "ci": (ab.relations[mode]["micro"].ci or {}).get("f1"),
            "per_label": {k: v.f1 for k, v in ab.relations[mode]["per_label"].items()},
        }
        for mode in CARD_REL_MODES
    }
    attributes = {k: v.get("accuracy") if isinstance(v, dict) else None for k, v in ab.to_dict()["attributes"].items()}
    return {
        "signature": ab.signature,
        "documents": [d.id for d in first],
        "n_documents": len(first),
        "layers": layers,
        "relations": relations,
        "attributes": attributes,
    }


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _ci(ci: Any) -> str:
    if not ci:
        return ""
    lo, hi = (ci.get("low"), ci.get("high")) if isinstance(ci, dict) else (ci[0], ci[1])
    return f" [{_fmt(lo)}, {_fmt(hi)}]"


def agreement_markdown(result: dict[str, Any]) -> str:
    """The card's agreement block."""
    lines = [
        f"Inter-annotator agreement on {result['n_documents']} doubly annotated articles "
        f"(first annotation vs blind second annotation; pairwise F1 in %, 95 % bootstrap CI over documents). "
        "Recompute with `ittifaq corpus agreement`.",
        "",
        "| layer | strict F1 | partial F1 |",
        "|---|---|---|",
    ]
    for layer, schemes in result["layers"].items():
        s, p = schemes["strict"], schemes["partial"]
        lines.append(f"| {layer} | {_fmt(s['f1'])}{_ci(s['ci'])} | {_fmt(p['f1'])}{_ci(p['ci'])} |")
    lines += ["", "| relations | F1 |", "|---|---|"]
    for mode, fig in result["relations"].items():
        lines.append(f"| all relations, {mode} | {_fmt(fig['f1'])}{_ci(fig['ci'])} |")
    for label, f1 in result["relations"]["strict"]["per_label"].items():
        lines.append(f"| `{label}`, strict | {_fmt(f1)} |")
    lines += ["", f"Signature: `{result['signature']}`", ""]
    return "\n".join(lines)
