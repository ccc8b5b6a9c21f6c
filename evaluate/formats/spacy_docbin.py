"""spaCy DocBin export (``.spacy``) on proclitic-aware tokens.

Each document becomes a `Doc` whose text is exactly ours: tokens are cut at every
span edge (and at proclitics); white space other than a single space after a token
becomes whitespace tokens, as spaCy itself does. Then

* ``doc.ents`` — the actor spans (PER/ORG/GPE); spaCy entities cannot overlap, so an
  actor nested inside another actor is only in ``doc.spans["actors"]``;
* ``doc.spans[layer]`` — every span of each layer (actors, agreements, quotes, cues);
  ``span.id_`` is our span id and ``span.kb_id_`` its entity id;
* ``doc.user_data["ittifaq"]`` — the rest (document id and fields, attributes,
  relations), written because the DocBin stores user data (msgpack, no pickle).

So with user data `read_docbin` gives the documents back identically. What spaCy
itself (training, `Doc.ents`, span groups) sees is only spans, labels, span and
entity ids: attributes, relations and document fields live in user data alone, and
`docs_from_native` — reading without user data — returns spans only, ids kept.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ittifaq.evaluate.formats.layers import doc_tokens, nesting_levels, spans_by_layer
from ittifaq.evaluate.formats.records import apply_metadata, check_span_texts, doc_metadata
from ittifaq.evaluate.io.atomic import write_bytes_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import LAYERS, Document, Relation, Span

USER_KEY = "ittifaq"


@lru_cache(maxsize=1)
def _nlp():
    """A blank Arabic pipeline, for its vocab only (loaded once: it takes seconds)."""
    import spacy

    return spacy.blank("ar")


def to_spacy(doc: Document, vocab: Any):
    """A spaCy Doc whose text equals `doc.text` and whose spans align exactly."""
    from spacy.tokens import Doc

    text = doc.text or ""
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for a, b in doc_tokens(doc):
        gap = text[pos:a]
        if gap:
            if words and gap[0] == " ":
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
        words.append(text[a:b])
        spaces.append(False)
        pos = b
    tail = text[pos:]
    if tail:
        if words and tail[0] == " ":
            spaces[-1] = True
            tail = tail[1:]
        if tail:
            words.append(tail)
            spaces.append(False)
    sdoc = Doc(vocab, words=words, spaces=spaces)
    if sdoc.text != text:
        raise InputError(f"doc {doc.id}: spaCy tokens do not rebuild the text (report this)")

    def char_span(s: Span):
        sp = sdoc.char_span(s.start, s.end, label=s.label, kb_id=s.entity or "", span_id=s.id)
        if sp is None:
            raise InputError(f"doc {doc.id} | span {s.id}: {s.start}-{s.end} does not align with tokens")
        return sp

    for layer, spans in spans_by_layer(doc).items():
        sdoc.spans[layer] = [char_span(s) for s in spans]
    actors = spans_by_layer(doc)["actors"]
    sdoc.ents = [char_span(s) for s, lvl in zip(actors, nesting_levels(actors), strict=True) if lvl == 0]
    sdoc.user_data[USER_KEY] = {
        "id": doc.id,
        "meta": doc_metadata(doc),
        "order": [s.id for s in doc.spans],
        "attributes": {s.id: s.attributes.to_dict() for s in doc.spans if any(s.attributes.to_dict().values())},
        "relations": [r.to_dict() for r in doc.relations],
    }
    return sdoc


def write_docbin(docs: list[Document], out: str | os.PathLike[str]) -> list[Path]:
    """Write all documents into one `.spacy` file."""
    from spacy.tokens import DocBin

    nlp = _nlp()
    db = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID"], store_user_data=True)
    for d in docs:
        db.add(to_spacy(d, nlp.vocab))
    write_bytes_atomic(out, db.to_bytes())
    return [Path(out)]


def _load(path: str | os.PathLike[str]):
    from spacy.tokens import DocBin

    nlp = _nlp()
    try:
        db = DocBin(store_user_data=True).from_bytes(Path(path).read_bytes())
    except Exception as exc:  # spaCy raises ValueError/KeyError/msgpack errors alike
        raise InputError(f"{path}: not a spaCy DocBin ({exc})") from None
    return list(db.get_docs(nlp.vocab))


def _native_spans(sdoc) -> list[Span]:
    spans = []
    for layer in LAYERS:
        for sp in sdoc.spans.get(layer, []):
            spans.append(Span(id=sp.id_, start=sp.start_char, end=sp.end_char, text=sp.text,
                              label=sp.label_, entity=sp.kb_id_ or None))
    return spans


def docs_from_native(path: str | os.PathLike[str]) -> list[Document]:
    """What spaCy alone keeps: text, spans with labels, ids and entity ids (layer order)."""
    out = []
    for n, sdoc in enumerate(_load(path), start=1):
        out.append(Document(id=f"doc{n}", text=sdoc.text, spans=_native_spans(sdoc)))
    return out


def read_docbin(path: str | os.PathLike[str]) -> list[Document]:
    """Documents back from a DocBin written by `write_docbin` (user data required)."""
    out = []
    for n, sdoc in enumerate(_load(path), start=1):
        data = sdoc.user_data.get(USER_KEY)
        where = f"{path} doc[{n - 1}]"
        if not data:
            raise InputError(f"{where}: no ittifaq user data; use docs_from_native for a foreign DocBin")
        doc = Document(id=data["id"], text=sdoc.text)
        apply_metadata(doc, data["meta"], where)
        by_id = {s.id: s for s in _native_spans(sdoc)}
        for sid in data["order"]:
            span = by_id[sid]
            for key, value in data["attributes"].get(sid, {}).items():
                setattr(span.attributes, key, value)
            doc.spans.append(span)
        doc.relations = [Relation(**r) for r in data["relations"]]
        check_span_texts(doc, where)
        out.append(doc)
    return out

