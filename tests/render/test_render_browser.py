"""The rendered site in a real headless Chromium, driven over the DevTools protocol.

Checks: no console error or uncaught exception, no request leaves file://, dir=rtl,
one `.ann` element per span, `<script>` in the data is text, hovering a mention
highlights its whole entity cluster and its relation partners, the index filters work; a screenshot is kept as an artifact (pytest's
tmp path and tests/artifacts/). Skipped only when Chromium is absent outside CI;
under CI=true a missing browser fails the test.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from support import FIXTURES

from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.render.site import render_site

#: A real browser: deselected by default, run by `-m slow` (and by CI).
pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "formats_docs.jsonl"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000", "--remote-debugging-port=0", "--remote-allow-origins=*"]


def _chromium() -> str:
    found = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    try:
        import websocket  # noqa: F401
    except ImportError:
        found = None if found is None else found
        reason = "the websocket-client package is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium on PATH (.ci/run must `apt-get install -y chromium`)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
    return found


class Browser:
    """A minimal DevTools-protocol session on one page target."""

    def __init__(self, binary: str, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.time() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def call(self, method: str, **params):
        n = next(self.ids)
        self.ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(ev.get("method") == method for ev in self.events):
                return
            self.ws.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def eval(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str(p.get("args")))
            elif m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self.events if ev.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = _chromium()
    b = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    for domain in ("Page", "Runtime", "Log", "Network"):
        b.call(f"{domain}.enable")
    yield b
    b.close()


def test_site_in_chromium(browser, tmp_path):
    docs = read_documents([FIXTURE])
    site = tmp_path / "site"
    render_site(docs, site)
    for d in docs:
        browser.open((site / "docs" / f"{d.id}.html").as_uri())
        assert browser.errors() == [], d.id
        assert all(u.startswith(("file:", "data:")) for u in browser.requests()), browser.requests()
        assert browser.eval("document.documentElement.dir") == "rtl"
        assert browser.eval("getComputedStyle(document.body).direction") == "rtl"
        assert browser.eval("document.querySelectorAll('.ann').length") == len(d.spans), d.id
        assert browser.eval("document.scripts.length") == 1
    script_doc = next(d for d in docs if d.id == "fmt-script")
    browser.open((site / "docs" / f"{script_doc.id}.html").as_uri())
    assert '<script>alert("x")</script>' in browser.eval("document.getElementById('text').textContent")

    nested = next(d for d in docs if d.id == "fmt-nested")
    browser.open((site / "docs" / "fmt-nested.html").as_uri())
    cluster = [s for s in nested.spans if s.entity == "ent:jordan"]
    highlighted = browser.eval(
        "document.getElementById('m-g-1').dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));"
        "Array.from(document.querySelectorAll('.ann.hl')).map(e => e.dataset.id)")
    partners = {r.head for r in nested.relations if r.tail == "g-1"}  # the agreement g-1 is party to
    assert partners == {"a.1"}
    assert sorted(highlighted) == sorted({s.id for s in cluster} | partners), "cluster and relation partners"
    assert browser.errors() == []
    shot = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
    assert shot.startswith(b"\x89PNG") and len(shot) > 5000
    (tmp_path / "fmt-nested.png").write_bytes(shot)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "render-fmt-nested.png").write_bytes(shot)

    browser.open((site / "index.html").as_uri())
    assert browser.errors() == []
    assert browser.eval("document.querySelectorAll('tr[data-doc]').length") == len(docs)
    shown = browser.eval(
        "const s = document.querySelector('select[data-filter=split]'); s.value = 'train';"
        "s.dispatchEvent(new Event('change')); document.querySelectorAll('tr[data-doc]:not(.hidden)').length")
    assert shown == sum(d.split == "train" for d in docs)
    (ARTIFACTS / "render-index.png").write_bytes(
        base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))


def test_bundled_corpus_in_chromium(browser, tmp_path):
    from ittifaq.evaluate.io.documents import corpus_files
    from ittifaq.evaluate.io.errors import InputError

    try:
        files = [f for f in corpus_files() if f.stat().st_size > 0]
    except InputError:
        files = []
    if not files:
        pytest.skip("the bundled corpus (corpus/data/*.jsonl) holds no documents yet")
    docs = read_documents(files)
    render_site(docs, tmp_path / "site")
    for d in docs:
        browser.open((tmp_path / "site" / "docs" / f"{d.id}.html").as_uri())
        assert browser.errors() == [], d.id
        assert browser.eval("document.querySelectorAll('.ann').length") == len(d.spans), d.id
    browser.open((tmp_path / "site" / "index.html").as_uri())
    assert browser.errors() == []
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "render-corpus-index.png").write_bytes(
        base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))


_VISUAL_ORDER = """(el => {
  const text = el.textContent, node = el.firstChild.nodeType === 3 ? el.firstChild : el.firstChild.firstChild;
  const at = i => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                    return r.getBoundingClientRect().left; };
  return [at(0), at(node.textContent.length - 1)];
})"""


def _layout(browser, width: int, height: int) -> None:
    browser.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=width < 600)


def test_latin_ids_titles_and_index_width_in_chromium(browser, tmp_path):
    """Latin ids read left to right inside the right-to-left pages; a page's heading is its Arabic title
    with the id beneath; the index fits 1280 px, and at 390 px (a phone) the counts give way."""
    import ittifaq

    docs = ittifaq.load("test")[:12]
    assert any("-" in d.id and d.title for d in docs)
    site = tmp_path / "site"
    render_site(docs, site)
    ARTIFACTS.mkdir(exist_ok=True)
    doc = docs[0]
    _layout(browser, 1280, 900)
    browser.open((site / "docs" / f"{doc.id}.html").as_uri())
    assert browser.errors() == []
    assert browser.eval("document.querySelector('h1').textContent") == doc.title
    assert browser.eval("document.querySelector('.doc-id').textContent") == doc.id
    first, last = browser.eval(f"{_VISUAL_ORDER}(document.querySelector('.doc-id bdi'))")
    assert first < last, "the id's first character must stand left of its last one"
    for width, height in ((1280, 900), (390, 844)):
        _layout(browser, width, height)
        browser.open((site / "index.html").as_uri())
        assert browser.errors() == []
        rows = browser.eval("document.querySelectorAll('tr[data-doc]').length")
        assert rows == len(docs)
        for cell in browser.eval("Array.from(document.querySelectorAll('td.doc .doc-id bdi')).map(b => b.textContent)"):
            assert cell in {d.id for d in docs}
        first, last = browser.eval(f"{_VISUAL_ORDER}(document.querySelector('td.doc .doc-id bdi'))")
        assert first < last
        # Nothing is cut off: the page is no wider than the screen, and every title is on screen.
        assert browser.eval("document.documentElement.scrollWidth") <= width
        assert browser.eval("Array.from(document.querySelectorAll('td.doc a')).every(a => "
                            "{ const r = a.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; })")
        counts_shown = browser.eval("getComputedStyle(document.querySelector('td.num')).display") != "none"
        assert counts_shown == (width >= 700)
        (ARTIFACTS / f"render-index-{width}.png").write_bytes(
            base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))
    browser.call("Emulation.clearDeviceMetricsOverride")
