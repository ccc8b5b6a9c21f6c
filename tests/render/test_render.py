"""The HTML browser, checked on its markup (the real-browser checks are in test_render_browser)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from support import FIXTURES

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.atomic import write_jsonl_atomic
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.render.site import annotated_text, diff_spans, render_site
from ittifaq.evaluate.schema import Document, Span

FIXTURE = FIXTURES / "formats_docs.jsonl"


class _Collect(HTMLParser):
    """Elements with their classes, the text outside tags, and every src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[list[str]] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.classes.append((a.get("class") or "").split())
        self.links += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Collect:
    p = _Collect()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_site_has_one_page_per_document_and_one_element_per_span(tmp_path):
    docs = read_documents([FIXTURE])
    files = render_site(docs, tmp_path)
    assert len(files) == len(docs) + 1
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(f"{d.id}.html" for d in docs)
    for d in docs:
        page = _parse(tmp_path / "docs" / f"{d.id}.html")
        assert sum("ann" in c for c in page.classes) == len(d.spans), d.id
        assert page.tags.count("script") == 1, "only the inlined browser script"
        assert page.links == ["../index.html"], "no external resource, no stylesheet link"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in index
    assert index.count("<tr data-doc=") == len(docs)


def test_script_in_text_renders_as_text(tmp_path):
    docs = read_documents([FIXTURE])
    render_site(docs, tmp_path)
    raw = (tmp_path / "docs" / "fmt-script.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "<b>" not in raw
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in raw
    page = _parse(tmp_path / "docs" / "fmt-script.html")
    assert page.tags.count("script") == 1 and "b" not in page.tags
    shown = "".join(page.text)
    assert 'نشر موقع <script>alert("x")</script> خبرا' in shown
    assert "&" in shown
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_nested_spans_nest_and_crossing_spans_continue():
    text = "أ ب ج د هـ"
    spans = [
        Span("outer", 0, 10, text[0:10], "QUOTE"),
        Span("inner", 2, 5, text[2:5], "GPE", "e1"),
        Span("cross", 4, 7, text[4:7], "CUE"),
    ]
    out = annotated_text(text, spans, [])
    assert out.count('class="ann ') == 3
    assert out.count('class="ann-cont ') == 1, "the crossing span continues in one fragment"
    assert out.count("<span") == out.count("</span>")
    assert re.sub(r"<[^>]+>", "", out) == text
    assert out.index('data-id="outer"') < out.index('data-id="inner"')


def test_diff_statuses():
    def s(i, a, b, label):
        return Span(i, a, b, "", label, "e" if label in ("PER", "ORG", "GPE") else None)

    gold = [s("g1", 0, 5, "PER"), s("g2", 10, 15, "ORG"), s("g3", 20, 25, "GPE"), s("g4", 30, 40, "QUOTE"), s("g5", 50, 55, "GPE")]
    pred = [s("p1", 0, 5, "PER"), s("p2", 10, 15, "GPE"), s("p3", 21, 25, "GPE"), s("p4", 30, 35, "QUOTE"),
            s("p5", 60, 65, "ORG"), s("p6", 31, 34, "PER")]
    pstat, gstat = diff_spans(gold, pred)
    assert pstat == {"p1": "correct", "p2": "label", "p3": "boundary", "p4": "boundary", "p5": "spurious",
                     "p6": "spurious"}, "a PER inside a gold QUOTE is another layer: spurious"
    assert gstat == {"g1": "correct", "g2": "partial", "g3": "partial", "g4": "partial", "g5": "missed"}


def test_cli_render_diff_against_gold(tmp_path):
    gold = read_documents([FIXTURE])
    nested = next(d for d in gold if d.id == "fmt-nested")
    pred = Document(id="fmt-nested", spans=[
        Span("x1", nested.spans[1].start, nested.spans[1].end, nested.spans[1].text, "ORG"),  # label error
        Span("x2", 0, 3, "قال", "CUE"),
    ])
    import orjson

    (tmp_path / "pred.jsonl").write_bytes(orjson.dumps({"id": pred.id, "spans": [
        {"id": sp.id, "start": sp.start, "end": sp.end, "label": sp.label} for sp in pred.spans], "relations": []}) + b"\n")
    r = CliRunner().invoke(cli, ["render", str(tmp_path / "pred.jsonl"), "--gold", str(FIXTURE), "--out", str(tmp_path / "site")])
    assert r.exit_code == 0, r.output
    html_ = (tmp_path / "site" / "docs" / "fmt-nested.html").read_text(encoding="utf-8")
    assert 'data-id="x1"' in html_ and 'data-diff="label"' in html_ and 'data-diff="correct"' in html_
    assert html_.count('data-diff="missed"') == len(nested.spans) - 2
    # gold documents without a prediction get a page too, all missed
    assert (tmp_path / "site" / "docs" / "fmt-emoji.html").exists()
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert ">missed</th>" in index


def test_render_again_leaves_no_page_of_the_first_run(tmp_path):
    docs = read_documents([FIXTURE])
    first = tmp_path / "first.jsonl"
    write_jsonl_atomic(first, [d.to_dict() for d in docs[:1]])
    site = tmp_path / "site"
    assert CliRunner().invoke(cli, ["render", str(FIXTURE), "--out", str(site)]).exit_code == 0
    assert len(list((site / "docs").glob("*.html"))) == len(docs) > 1
    r = CliRunner().invoke(cli, ["render", str(first), "--out", str(site)])
    assert r.exit_code == 0, r.output
    assert [p.stem for p in (site / "docs").glob("*.html")] == [docs[0].id]
