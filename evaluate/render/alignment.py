"""The end-to-end lines of an LLM run's score report (`ittifaq score --alignment`): anchored-only
figures beside the figures with unanchored items counted as false positives."""

from __future__ import annotations

from typing import Any


def _f(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}"


def render_end_to_end(report: dict[str, Any], fmt: str = "table") -> str:
    """Text (table or Markdown) to print after the score table; empty for JSON and CSV (the JSON holds it all)."""
    if fmt not in ("table", "markdown") or "end_to_end" not in report:
        return ""
    un = report["unanchored"]
    rows = []
    for layer, fig in report["end_to_end"]["spans"]["strict"]["per_layer"].items():
        anchored = report["spans"]["strict"]["per_layer"][layer]
        rows.append((f"{layer} strict F1", anchored["f1"], fig["f1"], fig["unanchored"]))
    micro = report["end_to_end"]["spans"]["strict"]["micro"]
    rows.append(("all spans strict micro F1", report["spans"]["strict"]["micro"]["f1"], micro["f1"], micro["unanchored"]))
    rel = report["end_to_end"]["relations"]["strict"]["micro"]
    rows.append(("relations strict F1", report["relations"]["strict"]["micro"]["f1"], rel["f1"], rel["unanchored"]))
    head = ["figure", "anchored only", "end to end", "unanchored"]
    lines = [f"Unanchored: {un['total']} item(s) ({', '.join(f'{k} {v}' for k, v in un['reasons'].items()) or 'none'}); "
             f"documents without a usable answer: {un['failed_documents']}"]
    body = [[name, _f(a), _f(e), str(n)] for name, a, e, n in rows]
    if fmt == "markdown":
        lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]
    else:
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines += [""] + ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *body]]
    return "\n" + "\n".join(lines) + "\n"
