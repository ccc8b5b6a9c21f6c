"""JSONL -> format -> JSONL on the bundled corpus and on the format fixtures.

brat, Label Studio, INCEpTION and DocBin (with its user data) carry every layer and
must give the documents back identically; CoNLL and DocBin's native fields lose
what the module docstrings say, and the tests below pin exactly that loss.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from support import FIXTURES

from ittifaq.evaluate.formats import brat, conll, inception, labelstudio, spacy_docbin
from ittifaq.evaluate.formats.offsets import to_utf16
from ittifaq.evaluate.io.documents import corpus_files, read_documents
from ittifaq.evaluate.io.errors import InputError

FIXTURE = FIXTURES / "formats_docs.jsonl"

LOSSLESS = {
    "brat": (brat.write_brat, brat.read_brat, "out"),
    "labelstudio": (labelstudio.write_labelstudio, labelstudio.read_labelstudio, "tasks.json"),
    "inception": (inception.write_inception, inception.read_inception, "out"),
    "spacy": (spacy_docbin.write_docbin, spacy_docbin.read_docbin, "docs.spacy"),
}


def _bundled() -> list[Path]:
    """The bundled split files that hold documents (none in a clone before the corpus is built)."""
    try:
        return [f for f in corpus_files() if f.stat().st_size > 0]
    except InputError:
        return []


def _sources() -> list:
    return [
        pytest.param([FIXTURE], id="fixtures"),
        pytest.param("bundled", id="bundled-corpus"),
    ]


def _load(source):
    if source == "bundled":
        files = _bundled()
        if not files:
            pytest.skip("the bundled corpus (corpus/data/*.jsonl) holds no documents yet")
        return read_documents(files)
    return read_documents(source)


def _bytes(docs) -> bytes:
    return b"".join(orjson.dumps(d.to_dict()) + b"\n" for d in docs)


@pytest.mark.parametrize("source", _sources())
@pytest.mark.parametrize("fmt", sorted(LOSSLESS))
def test_lossless_round_trip(fmt, source, tmp_path):
    docs = _load(source)
    write, read, name = LOSSLESS[fmt]
    write(docs, tmp_path / name)
    back = read(tmp_path / name)
    assert [d.id for d in back] == [d.id for d in docs]
    for a, b in zip(docs, back, strict=True):
        assert b.to_dict() == a.to_dict(), a.id
    assert _bytes(back) == _bytes(docs)


def test_fixture_has_what_the_round_trips_must_survive():
    docs = {d.id: d for d in read_documents([FIXTURE])}
    emoji = docs["fmt-emoji"]
    assert any(ord(c) > 0xFFFF for c in emoji.text)
    assert any(any(ord(c) > 0xFFFF for c in s.text) for s in emoji.spans), "a span containing an emoji"
    nested = docs["fmt-nested"]
    assert any("\n" in s.text for s in nested.spans), "a span across a line break"
    actors = [s for s in nested.spans if s.label in ("PER", "ORG", "GPE")]
    assert any(a.start <= b.start and b.end <= a.end and a is not b for a in actors for b in actors)


@pytest.mark.parametrize("source", _sources())
def test_conll_keeps_spans_and_loses_the_rest(source, tmp_path):
    docs = _load(source)
    conll.write_conll(docs, tmp_path / "x.conll")
    back = conll.read_conll(tmp_path / "x.conll", {d.id: d.text for d in docs})
    assert [d.id for d in back] == [d.id for d in docs]
    for a, b in zip(docs, back, strict=True):
        assert b.text == a.text
        assert sorted((s.start, s.end, s.label) for s in b.spans) == sorted((s.start, s.end, s.label) for s in a.spans)
        # the documented loss
        assert b.relations == []
        assert all(s.entity is None and not any(s.attributes.to_dict().values()) for s in b.spans)
        assert [s.id for s in b.spans] == [f"s{i}" for i in range(1, len(b.spans) + 1)]
        assert (b.title, b.genre, b.region, b.split, b.annotators) == (None, None, None, None, [])


def test_conll_layout(tmp_path):
    docs = read_documents([FIXTURE])
    conll.write_conll(docs, tmp_path / "x.conll")
    lines = (tmp_path / "x.conll").read_text(encoding="utf-8").split("\n")
    # the fixture nests a GPE inside an ORG: one extra actors column keeps it
    assert lines[0] == "# columns = TOKEN ACTORS AGREEMENTS QUOTES CUES ACTORS_2"
    assert [ln.split("\t")[1] for ln in lines if ln.startswith("-DOCSTART-")] == [d.id for d in docs]
    rows = [ln.split("\t") for ln in lines[1:] if ln and not ln.startswith("-DOCSTART-")]
    assert all(len(r) == 6 for r in rows)
    tokens = [r[0] for r in rows]
    assert "تركيا" in tokens and "وتركيا" not in tokens, "the proclitic و is cut off where a span starts"
    assert ["الأردن", "I-ORG", "O", "O", "O", "B-GPE"] in rows
    # without the original text, spans still come back on a rebuilt text
    back = conll.read_conll(tmp_path / "x.conll")
    nested = next(d for d in back if d.id == "fmt-nested")
    assert sorted(s.text for s in nested.spans if s.label == "GPE") == ["الأردن", "عمّان"]


def test_docbin_native_fields_and_their_loss(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    docs = read_documents([FIXTURE])
    spacy_docbin.write_docbin(docs, tmp_path / "d.spacy")
    sdocs = list(DocBin().from_bytes((tmp_path / "d.spacy").read_bytes()).get_docs(spacy.blank("ar").vocab))
    for d, sd in zip(docs, sdocs, strict=True):
        assert sd.text == d.text
        assert sum(len(sd.spans[layer]) for layer in ("actors", "agreements", "quotes", "cues")) == len(d.spans)
    nested_doc = sdocs[1]
    ents = [(e.text, e.label_, e.kb_id_, e.id_) for e in nested_doc.ents]
    assert ("وزارة خارجية الأردن", "ORG", "ent:mofa", "o-1") in ents
    assert all(e.text != "الأردن" for e in nested_doc.ents), "an actor nested in an actor is not an ent"
    assert "الأردن" in [s.text for s in nested_doc.spans["actors"]]
    native = spacy_docbin.docs_from_native(tmp_path / "d.spacy")
    for d, n in zip(docs, native, strict=True):
        assert sorted((s.id, s.start, s.end, s.label, s.entity) for s in n.spans) == sorted(
            (s.id, s.start, s.end, s.label, s.entity) for s in d.spans
        )
        assert n.relations == [] and n.title is None
        assert all(not any(s.attributes.to_dict().values()) for s in n.spans)


def test_inception_xmi_offsets_are_utf16(tmp_path):
    docs = read_documents([FIXTURE])
    inception.write_inception(docs, tmp_path)
    emoji = next(d for d in docs if d.id == "fmt-emoji")
    xmi = (tmp_path / "fmt-emoji.xmi").read_text(encoding="utf-8")
    found = {m["id"]: (int(m["b"]), int(m["e"])) for m in re.finditer(
        r'<custom:IttifaqSpan [^>]*begin="(?P<b>\d+)" end="(?P<e>\d+)"[^>]*spanId="(?P<id>[^"]+)"', xmi)}
    assert len(found) == len(emoji.spans)
    for s in emoji.spans:
        assert found[s.id] == (to_utf16(emoji.text, s.start), to_utf16(emoji.text, s.end))
        assert found[s.id] != (s.start, s.end), "every fixture span sits after an emoji"
    java = emoji.text.encode("utf-16-le")
    s = emoji.spans[-1]
    b, e = found[s.id]
    assert java[2 * b : 2 * e].decode("utf-16-le") == s.text


def test_labelstudio_reads_utf16_offsets_of_old_exports(tmp_path):
    docs = read_documents([FIXTURE])
    emoji = next(d for d in docs if d.id == "fmt-emoji")
    task = labelstudio.to_task(emoji)
    assert task["annotations"][0]["result"][0]["value"]["start"] == emoji.spans[0].start, "code points"
    for item in task["annotations"][0]["result"]:
        if "value" in item:
            item["value"]["start"] = to_utf16(emoji.text, item["value"]["start"])
            item["value"]["end"] = to_utf16(emoji.text, item["value"]["end"])
    back = labelstudio.from_task(task, "old-export")
    assert back.to_dict() == emoji.to_dict()
    task["annotations"][0]["result"][0]["value"]["start"] += 1
    with pytest.raises(InputError, match="old-export result\\[0\\]"):
        labelstudio.from_task(task, "old-export")


def test_labelstudio_config_names_every_label(tmp_path):
    from xml.etree import ElementTree

    root = ElementTree.fromstring(labelstudio.labeling_config())
    assert {e.get("value") for e in root.iter("Label")} == {"PER", "ORG", "GPE", "AGREEMENT", "QUOTE", "CUE"}
    assert {e.get("value") for e in root.iter("Relation")} == {"party", "speaker", "cue", "affiliation"}
