"""Documents given to the Python API in memory meet the rules their JSONL would meet.

`ittifaq score` validates files; `score(gold_docs, pred_docs)` receives `Document`
objects a program built, which no file check has seen. They go through the fast
reader's checks (`fast_read.read_objects`); whatever it cannot vouch for goes to the
full validator, record by record, so a bad document is an error naming its position
in the list, its id, the field and the rule, never a silently different score.
"""

from __future__ import annotations

from typing import Any

from ittifaq.evaluate.columns import Batch, from_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.fast_read import read_objects
from ittifaq.evaluate.io.validation import Problem, check_record
from ittifaq.evaluate.schema import PREDICTION_REQUIRED, Document, keys

#: Problems shown in the error (the count says how many there are).
SHOWN = 20

#: Document keys a prediction may leave out; None (or an empty list) in a `Document` means absent.
_PRED_OPTIONAL = tuple(k for k in keys("document", predictions=True) if k not in PREDICTION_REQUIRED)


def prediction_record(doc: Document) -> dict[str, Any]:
    """The JSONL record a prediction `Document` stands for: what it leaves empty is absent
    (a span's text "" is a text not given, as `Document.from_dict` reads a record without one)."""
    rec: dict[str, Any] = {"id": doc.id}
    for key in _PRED_OPTIONAL:
        value = getattr(doc, key)
        if value is not None and value != []:
            rec[key] = list(value) if isinstance(value, list) else value
    spans = []
    for s in doc.spans:
        d = s.to_dict()
        if d["text"] == "":
            del d["text"]
        spans.append(d)
    rec["spans"] = spans
    rec["relations"] = [r.to_dict() for r in doc.relations]
    return rec


def problems_of(docs: list[Any], predictions: bool, allow_unknown: bool = False) -> list[Problem]:
    """Every problem of the documents, as `ittifaq validate` names them; the line is the
    document's position in the list (from 1)."""
    source = "<predicted documents>" if predictions else "<gold documents>"
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, doc in enumerate(docs, start=1):
        if not isinstance(doc, Document):
            problems.append(Problem(source, n, None, None, None, "wrong-type", f"expected a Document, got {type(doc).__name__}"))
            continue
        try:
            record = prediction_record(doc) if predictions else doc.to_dict()
        except (AttributeError, TypeError) as exc:  # e.g. a dict where a Span should be
            problems.append(Problem(source, n, doc.id if isinstance(doc.id, str) else None, None, None, "wrong-type", str(exc)))
            continue
        found = check_record(record, source, n, predictions)
        if allow_unknown:
            found = [p for p in found if not p.unknown_span_label]
        problems += found
        if isinstance(doc.id, str):
            if doc.id in seen:
                problems.append(Problem(source, n, doc.id, None, "id", "duplicate-document", f"document id already used at {source}:{seen[doc.id]}"))
            else:
                seen[doc.id] = n
    return problems


def checked_columns(docs: list[Any], predictions: bool, allow_unknown: bool = False) -> Batch:
    """Columns of validated documents; InputError listing every problem otherwise."""
    batch = read_objects(docs, predictions=predictions, allow_unknown=allow_unknown)
    if batch is not None:
        return batch
    problems = problems_of(docs, predictions, allow_unknown)
    if problems:
        kind = "predicted" if predictions else "gold"
        shown = "\n".join(str(p) for p in problems[:SHOWN])
        more = f"\n… and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise InputError(f"{len(problems)} problem(s) in the {kind} documents given in memory (the number after the "
                         f"source is the document's position in the list):\n{shown}{more}")
    # Valid, but unusual in a way the fast checks do not vouch for (as `read_columns` does).
    return from_documents(docs, gold=not predictions)


__all__ = ["checked_columns", "prediction_record", "problems_of"]
