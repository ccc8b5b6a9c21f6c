"""brat standoff: a `.txt`/`.ann` pair per document, lossless both ways.

Layout of an exported folder:

* ``<doc id>.txt`` — the exact text (UTF-8, no newline translation);
* ``<doc id>.ann`` — ``T`` lines for spans (code-point offsets, as brat uses; a span
  crossing a line break is written as fragments ``a b;c d``, as brat itself does),
  ``A`` lines for attributes, ``R`` lines for relations, ``*\tCoref`` lines grouping
  the mentions of one entity (brat draws them), and ``#`` AnnotatorNotes carrying
  what brat has no slot for: our span/relation id when it differs from the brat id,
  and the entity id (``entity=E1``), values percent-encoded;
* ``metadata.jsonl`` — document order and document-level fields (title, date, …);
* ``annotation.conf`` / ``visual.conf`` — the label set, so brat opens the folder as is.

Import reads the same layout. Files made in brat from scratch work too: without
notes, brat ids become our ids and Coref groups become entities E1, E2, …;
without ``metadata.jsonl`` documents come in file-name order with empty metadata.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, unquote

import orjson

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.formats.records import apply_metadata, check_span_texts, doc_metadata
from ittifaq.evaluate.io.atomic import write_bytes_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import (
    ACTOR_LABELS,
    ATTRIBUTE_KEYS,
    ATTRIBUTES,
    RELATIONS,
    SPAN_LABELS,
    Document,
    Relation,
    Span,
)

MANIFEST = "metadata.jsonl"
_DOC_ID = re.compile(S.DOC_ID_RE)
_SAFE = "-_.:~"
_LABEL_COLORS = {
    "PER": "#ffd59e",
    "ORG": "#b6d7ff",
    "GPE": "#b9f2c0",
    "AGREEMENT": "#f7b6d2",
    "QUOTE": "#e0e0e0",
    "CUE": "#fff3a0",
}


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span at line breaks (brat cannot show a fragment across lines)."""
    frags = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        a, b = start + m.start(), start + m.end()
        frags.append((a, b))
    return frags or [(start, end)]


def ann_lines(doc: Document) -> list[str]:
    """The `.ann` lines of one document."""
    text = doc.text or ""
    brat_id: dict[str, str] = {}
    lines: list[str] = []
    notes: list[tuple[str, str]] = []
    attr_n = 0
    for i, s in enumerate(doc.spans, start=1):
        bid = f"T{i}"
        brat_id[s.id] = bid
        frags = _fragments(text, s.start, s.end)
        offsets = ";".join(f"{a} {b}" for a, b in frags)
        shown = " ".join(text[a:b] for a, b in frags)
        lines.append(f"{bid}\t{s.label} {offsets}\t{shown}")
        for name, value in s.attributes.to_dict().items():
            if value is not None:
                attr_n += 1
                lines.append(f"A{attr_n}\t{name} {bid} {value}")
        fields = []
        if s.id != bid:
            fields.append(f"id={quote(s.id, safe=_SAFE)}")
        if s.entity is not None:
            fields.append(f"entity={quote(s.entity, safe=_SAFE)}")
        if fields:
            notes.append((bid, " ".join(fields)))
    for i, r in enumerate(doc.relations, start=1):
        bid = f"R{i}"
        lines.append(f"{bid}\t{r.label} Arg1:{brat_id[r.head]} Arg2:{brat_id[r.tail]}")
        if r.id != bid:
            notes.append((bid, f"id={quote(r.id, safe=_SAFE)}"))
    clusters: dict[str, list[str]] = defaultdict(list)
    for s in doc.spans:
        if s.entity is not None:
            clusters[s.entity].append(brat_id[s.id])
    for members in clusters.values():
        if len(members) > 1:
            lines.append("*\tCoref " + " ".join(members))
    for n, (target, body) in enumerate(notes, start=1):
        lines.append(f"#{n}\tAnnotatorNotes {target}\t{body}")
    return lines


def annotation_conf() -> str:
    """brat's annotation.conf for schema v1 (overlaps allowed: layers nest)."""
    out = ["[entities]", *SPAN_LABELS, "", "[relations]"]
    for label, (heads, tails) in RELATIONS.items():
        out.append(f"{label}\tArg1:{'|'.join(heads)}, Arg2:{'|'.join(tails)}")
    out.append(f"Coref\tArg1:{'|'.join(ACTOR_LABELS)}, Arg2:{'|'.join(ACTOR_LABELS)}, <REL-TYPE>:symmetric-transitive")
    out.append("<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>")
    out += ["", "[events]", "", "[attributes]"]
    for name, (owner, values) in ATTRIBUTES.items():
        out.append(f"{name}\tArg:{owner}, Value:{'|'.join(values)}")
    return "\n".join(out) + "\n"


def visual_conf() -> str:
    """brat's visual.conf: one colour per label."""
    out = ["[labels]", "", "[drawing]"]
    out += [f"{label}\tbgColor:{color}" for label, color in _LABEL_COLORS.items()]
    return "\n".join(out) + "\n"


def write_brat(docs: list[Document], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a brat collection; returns the files written."""
    out = Path(out_dir)
    written: list[Path] = []
    manifest = b"".join(orjson.dumps({"id": d.id, **doc_metadata(d)}) + b"\n" for d in docs)
    for d in docs:
        txt, ann = out / f"{d.id}.txt", out / f"{d.id}.ann"
        write_bytes_atomic(txt, (d.text or "").encode("utf-8"))
        lines = ann_lines(d)
        write_bytes_atomic(ann, ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))
        written += [txt, ann]
    for name, data in ((MANIFEST, manifest), ("annotation.conf", annotation_conf().encode()),
                       ("visual.conf", visual_conf().encode())):
        write_bytes_atomic(out / name, data)
        written.append(out / name)
    return written


#: (document id, "span <id>" or "relation <id>") -> (file, line, brat id) of where it was read
Locations = dict[tuple[str, str], tuple[str, int, str]]


def _parse_ann(doc: Document, path: Path, locations: Locations | None = None) -> None:
    """Fill spans and relations of `doc` from one `.ann` file (and `locations`, when given)."""
    lines: dict[str, int] = {}
    spans: list[Span] = []
    by_bid: dict[str, Span] = {}
    relations: list[tuple[str, str, str, str, int]] = []
    notes: dict[str, dict[str, str]] = {}
    corefs: list[list[str]] = []
    attrs: list[tuple[str, str, str, int]] = []
    raw = _utf8(path)
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        fields = line.split("\t")
        bid = fields[0]
        lines.setdefault(bid, lineno)
        try:
            kind = bid[0]
            if kind == "T":
                label, _, offsets = fields[1].partition(" ")
                if label not in SPAN_LABELS:
                    raise InputError(f"{where}: unknown span label {label!r}")
                frags = [tuple(int(x) for x in part.split()) for part in offsets.split(";")]
                start, end = frags[0][0], frags[-1][1]
                gaps = [(frags[k][1], frags[k + 1][0]) for k in range(len(frags) - 1)]
                if any((doc.text or "")[a:b].strip() for a, b in gaps):
                    raise InputError(f"{where}: discontinuous span {bid} skips text; ittifaq spans are contiguous")
                span = Span(id=bid, start=start, end=end, text="", label=label)
                spans.append(span)
                by_bid[bid] = span
            elif kind == "R":
                label, a1, a2 = fields[1].split()
                if label not in RELATIONS:
                    raise InputError(f"{where}: unknown relation label {label!r}")
                relations.append((bid, label, a1.split(":", 1)[1], a2.split(":", 1)[1], lineno))
            elif kind in "AM":
                name, target, value = fields[1].split()
                if name not in ATTRIBUTE_KEYS:
                    raise InputError(f"{where}: unknown attribute {name!r}")
                attrs.append((name, target, value, lineno))
            elif kind == "#":
                _, target = fields[1].split()
                body = fields[2] if len(fields) > 2 else ""
                for item in body.split():
                    key, sep, value = item.partition("=")
                    if not sep or key not in ("id", "entity"):
                        raise InputError(f"{where}: note {body!r} is not ittifaq's (id=… entity=…); nothing would keep it")
                    notes.setdefault(target, {})[key] = unquote(value)
            elif kind == "*":
                label, *members = fields[1].split()
                if label != "Coref":
                    raise InputError(f"{where}: unknown equivalence {label!r} (only Coref is used)")
                corefs.append(members)
            else:
                raise InputError(f"{where}: {bid!r} annotations (events, normalizations) have no place in ittifaq")
        except (ValueError, IndexError) as exc:
            raise InputError(f"{where}: malformed line {line!r} ({exc})") from None
    for name, target, value, lineno in attrs:
        if target not in by_bid:
            raise InputError(f"{path}:{lineno}: attribute on unknown span {target!r}")
        setattr(by_bid[target].attributes, name, value)
    for n, members in enumerate(corefs, start=1):
        for m in members:
            if m in by_bid:
                by_bid[m].entity = f"E{n}"
    for bid, note in notes.items():
        if bid in by_bid:
            if "entity" in note:
                by_bid[bid].entity = note["entity"]
            if "id" in note:
                by_bid[bid].id = note["id"]
    doc.spans = spans
    for bid, label, head, tail, lineno in relations:
        if head not in by_bid or tail not in by_bid:
            raise InputError(f"{path}:{lineno}: relation {bid} points at an unknown span")
        rid = notes.get(bid, {}).get("id", bid)
        doc.relations.append(Relation(id=rid, label=label, head=by_bid[head].id, tail=by_bid[tail].id))
        if locations is not None:
            locations.setdefault((doc.id, f"relation {rid}"), (str(path), lineno, bid))
    if locations is not None:
        for bid, span in by_bid.items():
            locations.setdefault((doc.id, f"span {span.id}"), (str(path), lines[bid], bid))


def _utf8(path: Path) -> str:
    """A brat file's text; bytes that are not UTF-8 are an error naming the file and line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 ({exc.reason} at byte {exc.start}); brat files are UTF-8") from None


def read_brat(in_dir: str | os.PathLike[str], locations: Locations | None = None) -> list[Document]:
    """Read a brat collection written by `write_brat` or annotated in brat.

    `locations`, when given, gets where each span and relation was read, so that the
    validator's findings can name the `.ann` line an annotator must fix rather than ids
    the import made."""
    root = Path(in_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder (a brat collection is a folder of .txt/.ann pairs)")
    order: list[str] = []
    meta: dict[str, dict] = {}
    manifest = root / MANIFEST
    if manifest.exists():
        for lineno, raw in enumerate(manifest.read_bytes().splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"{manifest}:{lineno}: invalid JSON ({exc})") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                raise InputError(f"{manifest}:{lineno}: each line is an object with a string \"id\"")
            # The id names the .txt/.ann pair: it must be a document id, never a path (../secret).
            if not _DOC_ID.fullmatch(rec["id"]):
                raise InputError(f"{manifest}:{lineno}: id {rec['id']!r} is not a valid document id "
                                 f"(lower-case letters, digits, '-' and '_', at most {S.ID_MAX_LENGTH} characters)")
            order.append(rec["id"])
            meta[rec["id"]] = rec
    stems = sorted(p.stem for p in root.glob("*.ann"))
    for stem in stems:
        if stem not in meta:
            order.append(stem)
    docs = []
    for doc_id in order:
        txt, ann = root / f"{doc_id}.txt", root / f"{doc_id}.ann"
        if not txt.exists():
            raise InputError(f"{txt}: missing (listed in {MANIFEST} or beside {ann.name})")
        doc = Document(id=doc_id, text=_utf8(txt))
        apply_metadata(doc, {k: v for k, v in meta.get(doc_id, {}).items() if k != "id"}, str(manifest))
        if ann.exists():
            _parse_ann(doc, ann, locations)
        check_span_texts(doc, str(ann))
        docs.append(doc)
    return docs
