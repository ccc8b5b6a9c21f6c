"""A static, right-to-left HTML browser of a corpus or of predictions (with a gold diff).

Writes ``index.html`` (per-document counts, filters on genre/region/split) and
``docs/<id>.html`` (the text with one ``.ann`` element per span — nested spans nest;
a span crossing another's edge continues in ``.ann-cont`` fragments, so the count of
``.ann`` elements is always the span count — entity clusters highlighted together on
hover, and a relation table). With gold, the prediction panel marks each span
correct / label / boundary / boundary-label / spurious and the gold panel marks
what was missed.

Every text from the data goes through `html.escape`; the CSS and JS come from
templates/ and are inlined, so pages load from disk with no network at all.
"""

from __future__ import annotations

import html
import os
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

from ittifaq.evaluate.formats.layers import LAYER_OF
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import SPAN_LABELS, Document, Relation, Span

#: Span diff statuses, in the order the key lists them.
DIFF_STATUSES = ("correct", "label", "boundary", "boundary-label", "spurious", "missed")
_DIFF_TEXT = {
    "correct": "correct",
    "label": "wrong label, right boundaries",
    "boundary": "right label, wrong boundaries",
    "boundary-label": "wrong label and boundaries",
    "spurious": "spurious (no gold span)",
    "missed": "missed gold span",
}
_META_NAMES = (("date", "التاريخ"), ("genre", "النوع"), ("region", "المنطقة"), ("split", "القسم"),
               ("origin", "المصدر"), ("annotators", "المعلِّقون"))


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _asset(name: str) -> str:
    return resources.files("ittifaq.evaluate.render").joinpath("templates", name).read_text(encoding="utf-8")


def diff_spans(gold: list[Span], pred: list[Span]) -> tuple[dict[str, str], dict[str, str]]:
    """Status of each predicted span and of each gold span (by id), within each layer.

    A prediction is `correct` if a gold span has its offsets and label; else it is
    compared with the overlapping gold span of its layer that shares the most
    characters: same offsets → `label`, same label → `boundary`, neither →
    `boundary-label`; with no overlap it is `spurious`. A gold span no prediction
    of its layer overlaps is `missed`; one only partly found is marked by the
    prediction's status.
    """
    exact = {(g.start, g.end, g.label) for g in gold}
    pred_status: dict[str, str] = {}
    touched: set[str] = set()
    for p in pred:
        best, best_overlap = None, 0
        for g in gold:
            if LAYER_OF[g.label] != LAYER_OF[p.label]:
                continue
            overlap = min(g.end, p.end) - max(g.start, p.start)
            if overlap > 0:
                touched.add(g.id)
                if overlap > best_overlap:
                    best, best_overlap = g, overlap
        if (p.start, p.end, p.label) in exact:
            pred_status[p.id] = "correct"
        elif best is None:
            pred_status[p.id] = "spurious"
        elif (best.start, best.end) == (p.start, p.end):
            pred_status[p.id] = "label"
        elif best.label == p.label:
            pred_status[p.id] = "boundary"
        else:
            pred_status[p.id] = "boundary-label"
    gold_status = {}
    for g in gold:
        if (g.start, g.end, g.label) in {(p.start, p.end, p.label) for p in pred}:
            gold_status[g.id] = "correct"
        elif g.id in touched:
            gold_status[g.id] = "partial"
        else:
            gold_status[g.id] = "missed"
    return pred_status, gold_status


def _span_title(s: Span, rels: list[tuple[str, Span]], status: str | None) -> str:
    parts = [f"{s.label} · {s.id}"]
    if s.entity:
        parts.append(f"entity {s.entity}")
    parts += [f"{k}={v}" for k, v in s.attributes.to_dict().items() if v]
    parts += [f"{label}: {other.text}" for label, other in rels]
    if status:
        parts.append(f"diff: {status}")
    return " | ".join(parts)


def annotated_text(text: str, spans: list[Span], relations: list[Relation],
                   status: dict[str, str] | None = None, prefix: str = "m") -> str:
    """The text as HTML with one `.ann` element per span (escaped, nesting kept)."""
    by_id = {s.id: s for s in spans}
    linked: dict[str, list[tuple[str, Span]]] = defaultdict(list)
    for r in relations:
        if r.head in by_id and r.tail in by_id:
            linked[r.head].append((r.label, by_id[r.tail]))
            linked[r.tail].append((f"{r.label} of", by_id[r.head]))
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end, i))
    starts: dict[int, list[int]] = defaultdict(list)
    for i in order:
        starts[spans[i].start].append(i)
    points = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})

    def open_tag(i: int, cont: bool) -> str:
        s = spans[i]
        st = (status or {}).get(s.id)
        classes = ["ann-cont" if cont else "ann", f"l-{s.label}"] + ([f"d-{st}"] if st else [])
        attrs = [f'class="{e(" ".join(classes))}"', f'data-id="{e(s.id)}"', f'data-label="{e(s.label)}"']
        if not cont:
            attrs.append(f'id="{e(prefix)}-{e(s.id)}"')
        if s.entity:
            attrs.append(f'data-entity="{e(s.entity)}"')
        if st:
            attrs.append(f'data-diff="{e(st)}"')
        attrs.append(f'title="{e(_span_title(s, linked[s.id], st))}"')
        return "<span " + " ".join(attrs) + ">"

    out: list[str] = []
    stack: list[int] = []
    for n, p in enumerate(points):
        ending = [k for k, i in enumerate(stack) if spans[i].end == p]
        if ending:
            k = ending[0]
            reopen = [i for i in stack[k:] if spans[i].end != p]
            out.append("</span>" * (len(stack) - k))
            stack = stack[:k]
            for i in reopen:
                out.append(open_tag(i, cont=True))
                stack.append(i)
        for i in starts.get(p, []):
            out.append(open_tag(i, cont=False))
            stack.append(i)
        if n + 1 < len(points):
            out.append(e(text[p : points[n + 1]]))
    out.append("</span>" * len(stack))
    return "".join(out)


def relation_table(spans: list[Span], relations: list[Relation], side: str,
                   status: dict[str, str] | None = None) -> str:
    """Relations as rows (quote → speaker, agreement → parties, person → affiliation)."""
    if not relations:
        return '<p class="none">لا علاقات · no relations</p>'
    by_id = {s.id: s for s in spans}
    rows = ["<table class=\"relations\"><tr><th>relation</th><th>head</th><th>←</th><th>tail</th>"
            + ("<th>diff</th>" if status is not None else "") + "</tr>"]
    for r in relations:
        h, t = by_id.get(r.head), by_id.get(r.tail)
        st = (status or {}).get(r.id)
        rows.append(
            f'<tr data-side="{e(side)}" data-head="{e(r.head)}" data-tail="{e(r.tail)}"'
            + (f' class="r-{e(st)}"' if st else "") + ">"
            f"<td>{e(r.label)}</td><td>{e(h.label if h else '?')}: {e(h.text if h else r.head)}</td><td>←</td>"
            f"<td>{e(t.label if t else '?')}: {e(t.text if t else r.tail)}</td>"
            + (f"<td>{e(st)}</td>" if status is not None else "") + "</tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def diff_relations(gold: Document, pred: Document) -> tuple[dict[str, str], dict[str, str]]:
    """`correct` / `spurious` per predicted relation, `correct` / `missed` per gold one (exact spans)."""
    def keys(doc: Document) -> dict[str, tuple]:
        by_id = doc.span_by_id()
        out = {}
        for r in doc.relations:
            h, t = by_id[r.head], by_id[r.tail]
            out[r.id] = (r.label, h.start, h.end, h.label, t.start, t.end, t.label)
        return out

    gk, pk = keys(gold), keys(pred)
    gset, pset = set(gk.values()), set(pk.values())
    return ({rid: "correct" if k in gset else "spurious" for rid, k in pk.items()},
            {rid: "correct" if k in pset else "missed" for rid, k in gk.items()})


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>\n{_asset('site.css')}</style>\n</head>\n<body>\n"
        f"{body}\n<script>\n{_asset('site.js')}</script>\n</body>\n</html>\n"
    )


def _ltr(text: str) -> str:
    """Latin text (ids, value names) isolated inside the right-to-left page."""
    return f'<bdi dir="ltr">{e(text)}</bdi>'


def _legend() -> str:
    return '<div class="legend">' + "".join(f'<span class="l-{e(lb)}">{e(lb)}</span>' for lb in SPAN_LABELS) + "</div>"


def _meta(doc: Document) -> str:
    items = []
    for key, name in _META_NAMES:
        value = getattr(doc, key)
        if isinstance(value, list):
            value = "، ".join(value)
        if value:
            items.append(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>")
    return '<dl class="meta">' + "".join(items) + "</dl>" if items else ""


def document_page(doc: Document, gold: Document | None = None) -> str:
    """The HTML page of one document (or of one prediction against its gold)."""
    meta = gold or doc
    title = meta.title or doc.id
    # The Arabic title is the heading and the Latin id stands beneath it, isolated so that the
    # right-to-left paragraph does not reorder its parts (`0002-us-exits-jcpoa-2018`).
    heading = e(meta.title) if meta.title else _ltr(doc.id)
    head = f'<nav><a href="../index.html">الفهرس · index</a></nav>\n<h1>{heading}</h1>\n'
    head += (f'<p class="doc-id">{_ltr(doc.id)}</p>' if meta.title else "") + _meta(meta) + _legend()
    if gold is None:
        body = (f'<div class="text" id="text" data-panel="main" data-span-count="{len(doc.spans)}">'
                f"{annotated_text(doc.text or '', doc.spans, doc.relations)}</div>"
                f"<h2>العلاقات · relations</h2>{relation_table(doc.spans, doc.relations, 'main')}")
        return _page(title, head + body)
    text = gold.text or ""
    pstat, gstat = diff_spans(gold.spans, doc.spans)
    prstat, grstat = diff_relations(gold, doc)
    gold_view = {k: ("missed" if v == "missed" else None) for k, v in gstat.items()}
    key = '<p class="diff-key">' + "".join(
        f'<span class="d-{e(s)}">{e(_DIFF_TEXT[s])}</span>' for s in DIFF_STATUSES) + "</p>"
    counts = Counter(pstat.values()) + Counter(v for v in gstat.values() if v == "missed")
    summary = "<p>" + " · ".join(f"{e(s)}: {counts.get(s, 0)}" for s in DIFF_STATUSES) + "</p>"
    body = (
        key + summary + '<div class="panels">'
        f'<section><h2>التنبؤ · prediction</h2><div class="text" id="text" data-panel="pred" '
        f'data-span-count="{len(doc.spans)}">{annotated_text(text, doc.spans, doc.relations, pstat, "p")}</div>'
        f"<h2>العلاقات · relations</h2>{relation_table(doc.spans, doc.relations, 'pred', prstat)}</section>"
        f'<section><h2>المرجع · gold</h2><div class="text gold" id="gold-text" data-panel="gold" '
        f'data-span-count="{len(gold.spans)}">'
        f"{annotated_text(text, gold.spans, gold.relations, {k: v for k, v in gold_view.items() if v}, 'g')}</div>"
        f"<h2>العلاقات · relations</h2>{relation_table(gold.spans, gold.relations, 'gold', grstat)}</section>"
        "</div>"
    )
    return _page(f"{title} — diff", head + body)


def _select(name: str, label: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
    return f'<label>{e(label)} <select data-filter="{e(name)}"><option value="">الكل · all</option>{opts}</select></label>'


def index_page(docs: list[Document], golds: dict[str, Document] | None = None, title: str = "ittifaq") -> str:
    """The index: one row per document with counts, filterable by genre, region and split."""
    def meta_of(d: Document) -> Document:
        return golds[d.id] if golds else d

    filters = "".join(
        _select(key, name, sorted({getattr(meta_of(d), key) or "—" for d in docs}))
        for key, name in (("genre", "النوع · genre"), ("region", "المنطقة · region"), ("split", "القسم · split"))
    )
    cols = list(SPAN_LABELS) + ["relations"] + (list(DIFF_STATUSES) if golds else [])
    head = ('<tr><th>المقال · document</th><th class="fact">genre</th><th class="fact">region</th><th class="fact">split</th>'
            + "".join(f'<th class="num">{e(c)}</th>' for c in cols) + "</tr>")
    rows = []
    for d in docs:
        m = meta_of(d)
        counts = Counter(s.label for s in d.spans)
        counts["relations"] = len(d.relations)
        if golds:
            ps, gs = diff_spans(golds[d.id].spans, d.spans)
            counts.update(ps.values())
            counts["missed"] = sum(v == "missed" for v in gs.values())
        cells = "".join(f'<td class="num">{counts.get(c, 0)}</td>' for c in cols)
        rows.append(
            f'<tr data-doc="{e(d.id)}" data-genre="{e(m.genre or "—")}" data-region="{e(m.region or "—")}" '
            f'data-split="{e(m.split or "—")}"><td class="doc"><a href="docs/{e(d.id)}.html">'
            f'{e(m.title) if m.title else _ltr(d.id)}</a>'
            + (f'<br><span class="doc-id">{_ltr(d.id)}</span>' if m.title else "")
            + f'<br><span class="facts">{_ltr(" · ".join(v for v in (m.genre, m.region, m.split) if v))}</span>'
            + "".join(f'</td><td class="fact">{_ltr(v or "")}' for v in (m.genre, m.region, m.split))
            + f"</td>{cells}</tr>"
        )
    total = sum(len(d.spans) for d in docs)
    body = (
        f"<h1>{e(title)}</h1><p dir=\"ltr\">{len(docs)} documents · {total} spans · "
        f'<span id="shown-count">{len(docs)}</span> shown</p>'
        f'<div class="filters">{filters}</div>{_legend()}'
        f'<div class="table-wrap"><table id="documents">{head}{"".join(rows)}</table></div>'
    )
    return _page(title, body)


def render_site(docs: list[Document], out_dir: str | os.PathLike[str], gold: list[Document] | None = None,
                title: str = "ittifaq") -> list[Path]:
    """Write the browser; with `gold`, `docs` are predictions shown against it."""
    out = Path(out_dir)
    golds = None
    if gold is not None:
        golds = {g.id: g for g in gold}
        unknown = [d.id for d in docs if d.id not in golds]
        if unknown:
            raise InputError(f"prediction document(s) not in the gold: {', '.join(unknown[:10])}")
        differ = [d.id for d in docs if d.text is not None and d.text != golds[d.id].text]
        if differ:
            raise InputError(f"prediction text differs from the gold text in: {', '.join(differ[:10])}")
        have = {d.id for d in docs}
        docs = list(docs) + [Document(id=g.id, text=g.text) for g in gold if g.id not in have]
    else:
        missing = [d.id for d in docs if d.text is None]
        if missing:
            raise InputError(f"document(s) without text (give --gold to take it from there): {', '.join(missing[:10])}")
    written = []
    for d in docs:
        path = out / "docs" / f"{d.id}.html"
        write_text_atomic(path, document_page(d, golds[d.id] if golds else None))
        written.append(path)
    write_text_atomic(out / "index.html", index_page(docs, golds, title))
    written.append(out / "index.html")
    return written
