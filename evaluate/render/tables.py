"""Renderers for score, compare and agree reports: table, json, markdown, csv; and --errors output.

All renderers read the plain `to_dict()` form, so the tables print the JSON's
values and nothing else: P, R and F1 as percentages with two decimals, the F1
interval (the JSON also holds the P and R intervals) and the counts. Undefined
values print as "-". JSON is the complete report; table, markdown and csv are views of it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from ittifaq.evaluate.report_tree import nodes
from ittifaq.evaluate.schema import SPAN_LABELS

FORMATS: tuple[str, ...] = ("table", "json", "markdown", "csv")


def _f(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.2f}"


def _ci(fig: dict[str, Any], key: str = "f1") -> str:
    ci = (fig.get("ci") or {}).get(key)
    return "-" if not ci else f"[{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"


def _rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per figure of the report tree: section, scheme/mode, level, name, P, R, F1, F1 CI, counts."""
    listed = [label for sec in report["spans"].values() for label in sec["per_label"] if label not in SPAN_LABELS]
    rows: list[list[str]] = []
    for node in nodes(dict.fromkeys(listed)):
        fig = _at(report, node.path)
        if fig is None:  # a label outside the schema that this scheme did not list
            continue
        if node.kind == "accuracy":
            rows.append([*node.row[:3], "", "", "", _f(fig["accuracy"]), _ci(fig, "accuracy"), f"{fig['correct']}/{fig['total']}"])
        else:
            rows.append([*node.row, _f(fig["p"]), _f(fig["r"]), _f(fig["f1"]), _ci(fig), _counts(fig)])
    return rows


def _at(report: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = report
    for key in path:
        if key not in node:
            return None
        node = node[key]
    return node


def _counts(fig: dict[str, Any]) -> str:
    c = fig.get("counts") or {}
    if "tp" in c:
        return f"tp={c['tp']} fp={c['fp']} fn={c['fn']}"
    if "missed" in c:
        out = f"cor={c['correct']} inc={c['incorrect']} par={c['partial']} mis={c['missed']} spu={c['spurious']}"
        # Per label, a pair of two labels counts under the gold one on the gold side and under the
        # predicted one on the predicted side: where the sides differ, P is computed from the latter.
        pred_side = (c["pred_correct"], c["pred_incorrect"], c["pred_partial"])
        if pred_side != (c["correct"], c["incorrect"], c["partial"]):
            out += " pred_cor={} pred_inc={} pred_par={}".format(*pred_side)
        return out
    return " ".join(f"{k}={v}" for k, v in c.items())


HEADER = ["section", "scheme", "level", "name", "P", "R", "F1", "F1 95% CI", "counts"]


def _text_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _md_table(rows: list[list[str]], header: list[str]) -> str:
    def esc(s: str) -> str:
        # `|` would end the cell and `<unknown>` would read as an HTML tag.
        return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _headline(report: dict[str, Any]) -> str:
    h = report["headline"]
    s, r = h["spans"], h["relations"]
    ci_s = f" [{100 * s['ci'][0]:.2f}, {100 * s['ci'][1]:.2f}]" if s.get("ci") else ""
    ci_r = f" [{100 * r['ci'][0]:.2f}, {100 * r['ci'][1]:.2f}]" if r.get("ci") else ""
    return f"Headline: spans strict micro F1 = {_f(s['f1'])}{ci_s}; relations strict micro F1 = {_f(r['f1'])}{ci_r}"


def render_score(report: dict[str, Any], fmt: str = "table") -> str:
    if fmt == "json":
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    rows = _rows(report)
    if fmt == "csv":
        return _csv(report["signature"], HEADER, rows)
    notes = [f"Signature: {report['signature']}", _headline(report), f"Documents: {report['n_docs']}"]
    notes += [f"Warning: {w}" for w in report["warnings"]]
    if fmt == "markdown":
        return "\n\n".join([f"`{notes[0].split(': ', 1)[1]}`", *notes[1:], _md_table(rows, HEADER)]) + "\n"
    if fmt == "table":
        return "\n".join([*notes, "", _text_table(rows, HEADER)]) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def render_compare(report: dict[str, Any], fmt: str = "table") -> str:
    if fmt == "json":
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    header = ["system", "baseline", "figure", "system F1", "baseline F1", "diff", "diff 95% CI", "p (paired bootstrap)", "p (approx. rand.)"]
    rows = []
    for c in report["comparisons"]:
        for r in c["figures"]:
            ci = "-" if not r["diff_ci"] else f"[{100 * r['diff_ci'][0]:+.2f}, {100 * r['diff_ci'][1]:+.2f}]"
            rows.append([c["system"], c["baseline"], r["figure"], _f(r["system"]), _f(r["baseline"]),
                         "-" if r["diff"] is None else f"{100 * r['diff']:+.2f}", ci,
                         "-" if r["p_bootstrap"] is None else f"{r['p_bootstrap']:.4f}", "-" if r["p_ar"] is None else f"{r['p_ar']:.4f}"])
    return _tabular(report["signature"], header, rows, fmt)


def render_agree(report: dict[str, Any], fmt: str = "table") -> str:
    if fmt == "json":
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    header = ["layer/relations", "scheme/mode", "direction (ref->other)", "P", "R", "F1", "F1 95% CI", "counts"]
    rows = []
    for layer, schemes in report["layers"].items():
        for scheme, dirs in schemes.items():
            for d, fig in dirs.items():
                rows.append([layer, scheme, d, _f(fig["p"]), _f(fig["r"]), _f(fig["f1"]), _ci(fig), _counts(fig)])
    for mode, dirs in report["relations"].items():
        for d, fig in dirs.items():
            rows.append(["relations", mode, d, _f(fig["p"]), _f(fig["r"]), _f(fig["f1"]), _ci(fig), _counts(fig)])
    return _tabular(report["signature"], header, rows, fmt, n_docs=report["n_docs"])


def _csv(signature: str, header: list[str], rows: list[list[str]]) -> str:
    """One plain table, header first (as spreadsheets and `pandas.read_csv` expect); every row
    carries the signature, so a row copied elsewhere still says what it is comparable with.
    Warnings go to stderr and into the JSON."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*header, "signature"])
    w.writerows([*r, signature] for r in rows)
    return buf.getvalue()


def _tabular(signature: str, header: list[str], rows: list[list[str]], fmt: str, n_docs: int | None = None) -> str:
    if fmt == "csv":
        return _csv(signature, header, rows)
    docs = [] if n_docs is None else [f"Documents: {n_docs}"]
    if fmt == "markdown":
        return "\n\n".join([f"`{signature}`", *docs, _md_table(rows, header)]) + "\n"
    if fmt == "table":
        return "\n".join([f"Signature: {signature}", *docs, "", _text_table(rows, header)]) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def render_errors(errors: list[dict[str, Any]]) -> bytes:
    """JSON Lines, one error per line, grouped by document (gold order)."""
    return b"".join(orjson.dumps(e) + b"\n" for e in errors)
