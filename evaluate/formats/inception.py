"""INCEpTION / UIMA CAS XMI via dkpro-cassis, lossless both ways.

An exported folder holds ``TypeSystem.xml`` and one ``<doc id>.xmi`` per document
(zip them, or import the folder's files, as "UIMA CAS XMI (XML 1.0)" in INCEpTION).
Layers, defined as INCEpTION custom layers so the project can be set up from them:

* ``webanno.custom.IttifaqSpan`` — one annotation per span: ``label``, ``spanId``,
  ``entity``, ``agreementType``, ``status``, ``quoteKind``, ``sourceRole``;
* ``webanno.custom.IttifaqRelation`` — ``Governor`` (head span), ``Dependent``
  (tail span), ``label``, ``relationId``; anchored on the dependent, as INCEpTION
  relation layers are;
* ``webanno.custom.IttifaqDocument`` — the document-level fields, plus DKPro's
  ``DocumentMetaData`` (documentId, documentTitle) that INCEpTION shows.

Offsets: UIMA counts UTF-16 code units, we count code points. cassis converts on
both load and save (``Utf16CodepointOffsetConverter``); the tests check the raw
XMI against our own `offsets.to_utf16` on text with emoji, so a cassis change
cannot shift spans silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cassis import Cas, TypeSystem, load_cas_from_xmi, load_typesystem

from ittifaq.evaluate.formats.records import META_KEYS, apply_metadata, check_span_texts
from ittifaq.evaluate.io.atomic import write_bytes_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import ATTRIBUTE_KEYS, Document, Relation, Span

SPAN_TYPE = "webanno.custom.IttifaqSpan"
RELATION_TYPE = "webanno.custom.IttifaqRelation"
DOC_TYPE = "webanno.custom.IttifaqDocument"
DKPRO_META = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
TYPESYSTEM_FILE = "TypeSystem.xml"
ORDER_FILE = "documents.txt"

#: schema attribute name -> UIMA feature name (INCEpTION wants Java identifiers)
ATTR_FEATURES = {"agreement_type": "agreementType", "status": "status", "quote_kind": "quoteKind", "source_role": "sourceRole"}
_STR = "uima.cas.String"
_STR_ARRAY = "uima.cas.StringArray"
_LIST_META = ("grounding", "annotators")


def typesystem() -> TypeSystem:
    """The type system of ittifaq's INCEpTION layers."""
    ts = TypeSystem()
    meta = ts.create_type(DKPRO_META)
    for name in ("documentId", "documentTitle"):
        ts.create_feature(meta, name, _STR)
    span = ts.create_type(SPAN_TYPE)
    for name in ("label", "spanId", "entity", *ATTR_FEATURES.values()):
        ts.create_feature(span, name, _STR)
    rel = ts.create_type(RELATION_TYPE)
    ts.create_feature(rel, "Governor", SPAN_TYPE)
    ts.create_feature(rel, "Dependent", SPAN_TYPE)
    ts.create_feature(rel, "label", _STR)
    ts.create_feature(rel, "relationId", _STR)
    doc = ts.create_type(DOC_TYPE)
    for key in META_KEYS:
        ts.create_feature(doc, key, _STR_ARRAY if key in _LIST_META else _STR)
    return ts


def to_cas(doc: Document, ts: TypeSystem) -> Cas:
    """One document as a CAS (code-point offsets here; cassis writes UTF-16)."""
    cas = Cas(typesystem=ts)
    text = doc.text or ""
    cas.sofa_string = text
    cas.add(ts.get_type(DKPRO_META)(begin=0, end=len(text), documentId=doc.id, documentTitle=doc.title))
    string_array = ts.get_type(_STR_ARRAY)
    fields = {}
    for key in META_KEYS:
        value = getattr(doc, key)
        fields[key] = string_array(elements=list(value)) if key in _LIST_META else value
    cas.add(ts.get_type(DOC_TYPE)(begin=0, end=len(text), **fields))
    span_type = ts.get_type(SPAN_TYPE)
    fs_of: dict[str, object] = {}
    for s in doc.spans:
        attrs = {ATTR_FEATURES[k]: v for k, v in s.attributes.to_dict().items()}
        fs = span_type(begin=s.start, end=s.end, label=s.label, spanId=s.id, entity=s.entity, **attrs)
        cas.add(fs)
        fs_of[s.id] = fs
    rel_type = ts.get_type(RELATION_TYPE)
    for r in doc.relations:
        dep = fs_of[r.tail]
        cas.add(rel_type(begin=dep.begin, end=dep.end, Governor=fs_of[r.head], Dependent=dep,
                         label=r.label, relationId=r.id))
    return cas


def write_inception(docs: list[Document], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write TypeSystem.xml, one XMI per document and documents.txt (their order)."""
    out = Path(out_dir)
    ts = typesystem()
    written = [out / TYPESYSTEM_FILE, out / ORDER_FILE]
    write_bytes_atomic(written[0], ts.to_xml().encode("utf-8"))
    write_bytes_atomic(written[1], "".join(f"{d.id}.xmi\n" for d in docs).encode("utf-8"))
    for d in docs:
        path = out / f"{d.id}.xmi"
        write_bytes_atomic(path, to_cas(d, ts).to_xmi().encode("utf-8"))
        written.append(path)
    return written


def _order_key(fs: object) -> int:
    return fs.xmiID  # type: ignore[attr-defined]


def from_cas(cas: Cas, fallback_id: str, where: str) -> Document:
    """One document from a CAS using ittifaq's layers."""
    text = cas.sofa_string or ""
    metas = list(cas.select(DOC_TYPE))
    dk = list(cas.select(DKPRO_META)) if _has_type(cas, DKPRO_META) else []
    doc_id = (dk[0].documentId if dk and dk[0].documentId else None) or fallback_id
    doc = Document(id=doc_id, text=text)
    if metas:
        m = metas[0]
        meta = {}
        for key in META_KEYS:
            value = m.get(key)
            meta[key] = list(value.elements or []) if key in _LIST_META and value is not None else value
        apply_metadata(doc, meta, where)
    elif dk:
        doc.title = dk[0].documentTitle
    spans_fs = sorted(cas.select(SPAN_TYPE), key=_order_key) if _has_type(cas, SPAN_TYPE) else []
    id_of: dict[int, str] = {}
    new_span_id = _fresh_ids("s", {fs.spanId for fs in spans_fs if fs.spanId})
    for fs in spans_fs:
        sid = fs.spanId or next(new_span_id)
        if fs.label is None:
            raise InputError(f"{where}: span {sid} at {fs.begin}-{fs.end} has no label")
        span = Span(id=sid, start=fs.begin, end=fs.end, text="", label=fs.label, entity=fs.entity)
        for key in ATTRIBUTE_KEYS:
            setattr(span.attributes, key, fs.get(ATTR_FEATURES[key]))
        doc.spans.append(span)
        id_of[fs.xmiID] = sid
    rels = sorted(cas.select(RELATION_TYPE), key=_order_key) if _has_type(cas, RELATION_TYPE) else []
    new_relation_id = _fresh_ids("r", {fs.relationId for fs in rels if fs.relationId})
    for fs in rels:
        if fs.Governor is None or fs.Dependent is None:
            raise InputError(f"{where}: relation {fs.relationId or fs.xmiID} lacks Governor or Dependent")
        rid = fs.relationId or next(new_relation_id)
        head, tail = id_of.get(fs.Governor.xmiID), id_of.get(fs.Dependent.xmiID)
        if head is None or tail is None:
            raise InputError(f"{where}: relation {rid} points at an annotation that is not an ittifaq span")
        doc.relations.append(Relation(id=rid, label=fs.label, head=head, tail=tail))
    check_span_texts(doc, where)
    return doc


def _has_type(cas: Cas, name: str) -> bool:
    return cas.typesystem.contains_type(name)


def read_inception(in_dir: str | os.PathLike[str]) -> list[Document]:
    """Read a folder of XMI files with their TypeSystem.xml.

    Documents come in the order of documents.txt when present (then in file-name order).
    """
    root = Path(in_dir)
    ts_path = root / TYPESYSTEM_FILE
    if not ts_path.exists():
        found = sorted(root.glob("*.xml")) if root.is_dir() else []
        if len(found) != 1:
            raise InputError(f"{root}: needs {TYPESYSTEM_FILE} beside the .xmi files")
        ts_path = found[0]
    try:
        with open(ts_path, "rb") as fh:
            ts = load_typesystem(fh)
    except OSError:
        raise
    except Exception as exc:  # lxml's XMLSyntaxError, cassis's own errors on a junk or hostile type system
        raise InputError(f"{ts_path}: not a readable UIMA type system ({type(exc).__name__}: {exc})") from None
    docs = []
    files = sorted(root.glob("*.xmi"))
    order_file = root / ORDER_FILE
    if order_file.exists():
        listed = []
        try:
            order_lines = order_file.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise InputError(f"{order_file}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        for lineno, name in enumerate(order_lines, start=1):
            if not name.strip():
                continue
            # Only file names of this folder: a listed path must not reach a file elsewhere (../x, /etc/passwd).
            if Path(name).name != name or not name.endswith(".xmi"):
                raise InputError(f"{order_file}:{lineno}: lists {name!r}; list only .xmi file names of this folder")
            listed.append(root / name)
        for path in listed:
            if not path.is_file():
                raise InputError(f"{order_file}: lists {path.name}, which is missing")
        files = listed + [p for p in files if p not in set(listed)]
    for path in files:
        try:
            with open(path, "rb") as fh:
                cas = load_cas_from_xmi(fh, typesystem=ts)
        except Exception as exc:  # cassis raises lxml and its own errors alike
            raise InputError(f"{path}: not a readable UIMA XMI file ({exc})") from None
        docs.append(from_cas(cas, path.stem, str(path)))
    return docs


def _fresh_ids(prefix: str, used: set[str]) -> Iterator[str]:
    """Ids `prefix1`, `prefix2`, … for annotations made in INCEpTION without one, never reusing a taken id."""
    n = 0
    while True:
        n += 1
        candidate = f"{prefix}{n}"
        if candidate not in used:
            used.add(candidate)
            yield candidate
