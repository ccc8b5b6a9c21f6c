"""Figures for `ittifaq score --plot` and `ittifaq stats --plot` (matplotlib, no pyplot state).

Any Arabic string drawn goes through `shape`: matplotlib neither joins Arabic
letters nor orders right-to-left text, so it is reshaped (arabic-reshaper) and
reordered (python-bidi) first. Both functions tolerate missing report keys: a
section absent from the report is simply not drawn.
"""

from __future__ import annotations

import io
import math
import os
import re
from typing import Any

from ittifaq.evaluate.io.atomic import write_bytes_atomic

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")
SCHEME_ORDER = ("strict", "exact", "partial", "type", "clitic")
_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def _native_complex_text() -> bool:
    """Whether this matplotlib lays text out with libraqm (3.11+), which joins and orders Arabic itself.

    Pre-shaping on top of libraqm would reverse the text twice, so it is done only
    for older builds that draw code points one by one, left to right.
    """
    try:
        from matplotlib import ft2font
    except ImportError:  # pragma: no cover
        return False
    return bool(getattr(ft2font, "__libraqm_version__", ""))


def shape(text: str) -> str:
    """Text as matplotlib must receive it to draw Arabic joined and right-to-left."""
    if not _ARABIC.search(text) or _native_complex_text():
        return text
    import arabic_reshaper
    from bidi.algorithm import get_display

    return get_display(arabic_reshaper.reshape(text))


def _figure(rows: int, cols: int, width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _image(fig, path: str | os.PathLike[str]) -> bytes:
    """The figure encoded in the format its file name asks for (PNG by default)."""
    buf = io.BytesIO()
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    fig.savefig(buf, format=fmt, dpi=120)
    return buf.getvalue()


def _save(fig, path: str | os.PathLike[str]) -> None:
    write_bytes_atomic(path, _image(fig, path))


def _ci_bounds(fig_dict: dict[str, Any]) -> tuple[float, float] | None:
    """The F1 interval from `ci` as the scorer writes it ({"f1": [lo, hi]}) or a bare [lo, hi]."""
    ci = fig_dict.get("ci")
    if isinstance(ci, dict):
        ci = ci.get("f1")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci):
        return float(ci[0]), float(ci[1])
    return None


def _grouped_f1(ax, groups: dict[str, dict[str, Any]], title: str) -> None:
    """Bars of F1 per label, one colour per group (scheme or mode), CI as error bars."""
    labels: list[str] = []
    for per in groups.values():
        labels += [lab for lab in per if lab not in labels]
    n = max(len(groups), 1)
    width = 0.8 / n
    for g, (name, per) in enumerate(groups.items()):
        xs, ys, lo, hi = [], [], [], []
        for i, lab in enumerate(labels):
            f = per.get(lab) or {}
            f1 = f.get("f1")
            if not isinstance(f1, (int, float)) or math.isnan(f1):
                continue
            x = i - 0.4 + width * (g + 0.5)
            xs.append(x)
            ys.append(f1)
            b = _ci_bounds(f)
            lo.append(max(f1 - b[0], 0) if b else 0)
            hi.append(max(b[1] - f1, 0) if b else 0)
        ax.bar(xs, ys, width, label=shape(name), color=_COLORS[g % len(_COLORS)],
               yerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.8})
    ax.set_xticks(range(len(labels)), [shape(lab) for lab in labels], rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(shape(title))
    ax.grid(axis="y", alpha=0.3)
    if groups:
        ax.legend(fontsize=8, ncols=min(n, 5))


def plot_score(report: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Per-label F1 with CI bars, one bar per span scheme (and per relation mode)."""
    write_bytes_atomic(path, score_image(report, path))


def score_image(report: dict[str, Any], path: str | os.PathLike[str]) -> bytes:
    """`plot_score`'s image, encoded for `path` but not written (the CLI writes all its outputs together)."""
    spans = report.get("spans") or {}
    schemes = [s for s in SCHEME_ORDER if s in spans] + [s for s in spans if s not in SCHEME_ORDER]
    span_groups = {s: spans[s].get("per_label") or {} for s in schemes if isinstance(spans[s], dict)}
    rels = report.get("relations") or {}
    rel_groups = {m: rels[m].get("per_label") or {} for m in rels if isinstance(rels[m], dict)}
    panels = [(g, t) for g, t in ((span_groups, "spans: F1 per label and scheme"),
                                  (rel_groups, "relations: F1 per label and mode")) if g]
    if not panels:
        panels = [({}, "no per-label figures in the report")]
    fig = _figure(len(panels), 1, 10, 4 * len(panels))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (groups, title) in zip(axes, panels, strict=True):
        _grouped_f1(ax, groups, title)
    config = report.get("config") or {}
    level = config.get("ci_level")
    has_cis = isinstance(level, float) and bool(config.get("n_boot"))  # --n-boot 0: no intervals, no error bars
    fig.suptitle(shape("ittifaq — النتائج") + (f"  (error bars: {level:.0%} bootstrap CI)" if has_cis else "  (no bootstrap CIs)"))
    return _image(fig, path)


def _counts_panel(ax, counts: dict[str, Any], title: str) -> None:
    items = [(str(k), v) for k, v in counts.items() if isinstance(v, (int, float))]
    names = [shape(k) for k, _ in items]
    values = [v for _, v in items]
    ax.barh(range(len(items)), values, color="#4c72b0")
    ax.set_yticks(range(len(items)), names)
    ax.invert_yaxis()
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:g}", va="center", fontsize=8)
    ax.set_title(shape(title), fontsize=10)
    ax.margins(x=0.15)


def plot_stats(stats: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Bar charts of labels, relations, agreement types/statuses, quote kinds/roles, genres, regions, splits."""
    def get(*keys: str) -> dict[str, Any] | None:
        node: Any = stats
        for k in keys:
            if not isinstance(node, dict) or k not in node:
                return None
            node = node[k]
        return node if isinstance(node, dict) and node else None

    wanted = [
        (("spans",), "span labels · الوسوم"),
        (("relations",), "relations · العلاقات"),
        (("agreements", "type"), "agreement types · أنواع الاتفاقات"),
        (("agreements", "status"), "agreement status · حالة الاتفاق"),
        (("quotes", "kind"), "quote kinds · نوع الاقتباس"),
        (("quotes", "role"), "quote source roles · صفة المصدر"),
        (("genres",), "genres · الأنواع الصحفية"),
        (("regions",), "regions · المناطق"),
        (("splits",), "splits · الأقسام"),
    ]
    panels = [(data, title) for keys, title in wanted if (data := get(*keys))]
    cols = 3
    rows = max(1, math.ceil(len(panels) / cols))
    fig = _figure(rows, cols, 13, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (data, title) in zip(axes, panels, strict=False):
        _counts_panel(ax, data, title)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    if not panels:
        axes[0].text(0.5, 0.5, "no counts in the statistics", ha="center", va="center")
    head = [f"{k}: {stats[k]}" for k in ("documents", "words", "entities") if isinstance(stats.get(k), (int, float))]
    fig.suptitle(shape("ittifaq — إحصاءات المدونة") + ("   " + " · ".join(head) if head else ""))
    _save(fig, path)
