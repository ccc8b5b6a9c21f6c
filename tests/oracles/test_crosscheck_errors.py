"""The error-analysis records (`ittifaq score --errors`, `score(..., collect_errors=True).errors`) audited.

Written from the README, `ittifaq score --help` and the records themselves, without reading the
scorer's code. A record names its document (`doc`) and its `kind`; span records carry `gold`
and/or `pred` as {id, start, end, label, text}, relation records carry `label`, `head`, `tail`.
The README never defines the kinds, so the reading checked here is:

- `missed` (gold only) and `spurious` (pred only) are the strict `missed` and `spurious` counts;
- `boundary` (same label, other offsets), `label` (same offsets, other label) and
  `boundary+label` (both differ, the spans overlapping) split the strict `incorrect` count,
  one record per matched pair; per label, a pair counts under its gold label for `incorrect`
  and under its predicted label for `pred_incorrect`;
- `relation-missed` / `relation-spurious` are the strict relation `fn` / `fp`: the gold
  (label, head, tail) triples, by offsets and labels, that no prediction has, and the reverse.

Checked on the bundled test split with each shipped system and on random valid documents
(nested, overlapping, relabelled and shifted spans, duplicate predictions, spurious
relations): counts per kind against the report (micro, per label, per document), every quoted
text against the document, each gold span and each distinct predicted span in at most one
record and never one that has an exact partner, the matching's maximality (a missed and a
spurious span never overlap; the pairs are as many as a maximum matching allows), relation
records against a set difference, determinism, input order, and the CLI file against the API.

Found when this test was written, and fixed in the scorer: the sequence of records followed the
input order of spans, and of identical duplicate predictions the one named was the first in input
order. Records now come in the gold documents' order (documented), then by where each error is.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict

import pytest
from click.testing import CliRunner

from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.documents import CORPUS_DATA, read_documents
from ittifaq.evaluate.io.validation import check_record
from ittifaq.evaluate.schema import (
    ACTOR_LABELS,
    AGREEMENT_STATUSES,
    AGREEMENT_TYPES,
    QUOTE_KINDS,
    RELATION_LABELS,
    RELATIONS,
    SOURCE_ROLES,
    SPAN_LABELS,
    Attributes,
    Document,
    Relation,
    Span,
)
from ittifaq.evaluate.scoring import parallel as parallel_score
from ittifaq.evaluate.scoring.pipeline import score

GOLD = CORPUS_DATA / "test.jsonl"
PREDICTIONS = CORPUS_DATA.parents[1] / "results" / "predictions"
SYSTEMS = ("crf", "rules", "spacy")
PAIR_KINDS = ("boundary", "label", "boundary+label")
SIDES = {"missed": ("gold",), "spurious": ("pred",), **dict.fromkeys(PAIR_KINDS, ("gold", "pred"))}
REL_KINDS = ("relation-missed", "relation-spurious")
REF_KEYS = {"id", "start", "end", "label", "text"}
LETTERS = "ابتثجحخدرزسشصطعغفقكلمنهوي"


# --------------------------------------------------------------------------- the audit


def _key(x) -> tuple[int, int, str]:
    return (x["start"], x["end"], x["label"]) if isinstance(x, dict) else (x.start, x.end, x.label)


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return max(a[0], b[0]) < min(a[1], b[1])


def _max_matching(left: list[tuple], right: list[tuple]) -> int:
    """Largest one-to-one pairing of overlapping spans (augmenting paths)."""
    adj = [[j for j, b in enumerate(right) if _overlap(a, b)] for a in left]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in adj[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(left)))


def _attr_rank(span: Span) -> tuple[int, ...]:
    """The README's order among duplicates: each attribute by its place in the schema list, missing first."""
    a = span.attributes
    values = (AGREEMENT_TYPES, AGREEMENT_STATUSES, QUOTE_KINDS, SOURCE_ROLES)
    got = (a.agreement_type, a.status, a.quote_kind, a.source_role)
    return tuple(-1 if v is None else vals.index(v) for v, vals in zip(got, values, strict=True))


def _triples(doc: Document) -> set[tuple]:
    by_id = doc.span_by_id()
    return {(r.label, _key(by_id[r.head]), _key(by_id[r.tail])) for r in doc.relations}


def _check_ref(ref: dict, text: str, spans_by_id: dict[str, Span], same_key: dict, where: str) -> None:
    assert set(ref) == REF_KEYS, where
    assert ref["text"] == text[ref["start"] : ref["end"]], where
    span = spans_by_id.get(ref["id"])
    assert span is not None and _key(span) == _key(ref), where
    group = same_key[_key(ref)]
    if len(group) > 1:  # a duplicate prediction: the one named is one with the smallest attributes
        assert _attr_rank(span) == min(map(_attr_rank, group)), where


def audit_doc(gold: Document, pred: Document, records: list[dict]) -> dict:
    """Every check that needs only one document; returns the counts the records imply."""
    g_by_id, p_by_id = gold.span_by_id(), pred.span_by_id()
    g_same, p_same = defaultdict(list), defaultdict(list)
    for s in gold.spans:
        g_same[_key(s)].append(s)
    for s in pred.spans:
        p_same[_key(s)].append(s)
    gkeys, pkeys = set(g_same), set(p_same)
    correct = gkeys & pkeys
    used_g, used_p = Counter(), Counter()
    missed, spurious, pairs = [], [], []
    rel = {k: Counter() for k in REL_KINDS}
    for n, rec in enumerate(records):
        where = f"{gold.id} record {n}: {rec}"
        assert rec["doc"] == gold.id, where
        kind = rec["kind"]
        if kind in REL_KINDS:
            assert set(rec) == {"doc", "kind", "label", "head", "tail"}, where
            assert rec["label"] in RELATION_LABELS, where
            by_id, same = (g_by_id, g_same) if kind == "relation-missed" else (p_by_id, p_same)
            for end in ("head", "tail"):
                _check_ref(rec[end], gold.text, by_id, same, where)
            rel[kind][(rec["label"], _key(rec["head"]), _key(rec["tail"]))] += 1
            continue
        assert kind in SIDES, where
        extra = set(rec) - {"doc", "kind", *SIDES[kind]}
        assert extra <= {"clitic_only"}, where  # clitic_only is not in the README; see the test below
        if "clitic_only" in rec:
            g, p = rec["gold"], rec["pred"]
            # README `clitic`: the label and the end must match, only the start may differ.
            assert kind == "boundary" and rec["clitic_only"] is True and g["end"] == p["end"], where
        if "gold" in rec:
            _check_ref(rec["gold"], gold.text, g_by_id, g_same, where)
            used_g[_key(rec["gold"])] += 1
        if "pred" in rec:
            _check_ref(rec["pred"], gold.text, p_by_id, p_same, where)
            used_p[_key(rec["pred"])] += 1
        if kind == "missed":
            missed.append(_key(rec["gold"]))
        elif kind == "spurious":
            spurious.append(_key(rec["pred"]))
        else:
            g, p = _key(rec["gold"]), _key(rec["pred"])
            assert _overlap(g, p), where
            assert (g[:2] == p[:2], g[2] == p[2]) == {
                "boundary": (False, True), "label": (True, False), "boundary+label": (False, False)}[kind], where
            pairs.append((g, p, kind))
    # Nothing twice; no exact match reported; every gold span and distinct prediction accounted for.
    assert max(used_g.values(), default=1) == 1 and max(used_p.values(), default=1) == 1, (gold.id, used_g, used_p)
    assert not set(used_g) & correct and not set(used_p) & correct, gold.id
    assert set(used_g) | correct == gkeys and set(used_p) | correct == pkeys, gold.id
    # The matching leaves no missed span overlapping a spurious one, and pairs as many as it can.
    assert not [(m, s) for m in missed for s in spurious if _overlap(m, s)], gold.id
    assert len(pairs) == _max_matching(sorted(gkeys - correct), sorted(pkeys - correct)), gold.id
    # Relation records: the strict set difference, each triple once.
    g3, p3 = _triples(gold), _triples(pred)
    assert rel["relation-missed"] == Counter(g3 - p3), gold.id
    assert rel["relation-spurious"] == Counter(p3 - g3), gold.id
    out = Counter()
    for k in correct:
        out["correct", k[2]] += 1
    for k in missed:
        out["missed", k[2]] += 1
    for k in spurious:
        out["spurious", k[2]] += 1
    for g, p, kind in pairs:
        out["incorrect", g[2]] += 1
        out["pred_incorrect", p[2]] += 1
        out[kind] += 1
    for kind, c in rel.items():
        for (lab, _, _), n in c.items():
            out[kind, lab] += n
    return out


def audit(gold_docs: list[Document], pred_docs: list[Document], records: list[dict], rep: dict) -> Counter:
    """Audit every document, then hold the records' counts against the report's strict counts."""
    preds = {p.id: p for p in pred_docs}
    by_doc = defaultdict(list)
    for rec in records:
        by_doc[rec["doc"]].append(rec)
    assert set(by_doc) <= {g.id for g in gold_docs}
    total = Counter()
    for g in gold_docs:
        total += audit_doc(g, preds.get(g.id, Document(id=g.id, text=g.text)), by_doc[g.id])
    compare_counts(total, rep)
    return total


def compare_counts(total: Counter, rep: dict) -> None:
    strict = rep["spans"]["strict"]
    labels = set(strict["per_label"])
    for lab in labels:
        c = strict["per_label"][lab]["counts"]
        for name in ("correct", "missed", "spurious", "incorrect", "pred_incorrect"):
            assert total[name, lab] == c[name], (lab, name, total[name, lab], c[name])
    micro = strict["micro"]["counts"]
    for name in ("correct", "missed", "spurious", "incorrect", "pred_incorrect"):
        assert sum(total[name, lab] for lab in labels) == micro[name], name
    assert sum(total[k] for k in PAIR_KINDS) == micro["incorrect"] == micro["pred_incorrect"]
    relations = rep["relations"]["strict"]
    for lab in RELATION_LABELS:
        c = relations["per_label"][lab]["counts"]
        assert (total["relation-missed", lab], total["relation-spurious", lab]) == (c["fn"], c["fp"]), lab
    c = relations["micro"]["counts"]
    assert sum(total["relation-missed", lab] for lab in RELATION_LABELS) == c["fn"]
    assert sum(total["relation-spurious", lab] for lab in RELATION_LABELS) == c["fp"]


def _run(gold: list[Document], pred: list[Document], **kw) -> tuple[list[dict], dict]:
    r = score(gold, pred, n_boot=0, collect_errors=True, **kw)
    return r.errors, r.to_dict()


# --------------------------------------------------------------------------- random documents


def _attrs(rng: random.Random, label: str, gold: bool) -> Attributes:
    if not gold and rng.random() < 0.3:
        return Attributes()
    if label == "AGREEMENT":
        return Attributes(agreement_type=rng.choice(AGREEMENT_TYPES[:2]), status=rng.choice(AGREEMENT_STATUSES[:2]))
    if label == "QUOTE":
        return Attributes(quote_kind=rng.choice(QUOTE_KINDS), source_role=rng.choice(SOURCE_ROLES[:2]))
    return Attributes()


def random_pair(rng: random.Random, did: str) -> tuple[Document, Document]:
    """A valid gold document and a valid prediction for it, spans in random order."""
    n = rng.randint(12, 40)
    text = "".join(" " if 0 < i < n - 1 and rng.random() < 0.15 else rng.choice(LETTERS) for i in range(n))

    def place() -> tuple[int, int]:
        while True:
            a = rng.randrange(n)
            b = min(n, a + rng.randint(1, 6))
            if text[a:b] == text[a:b].strip():
                return a, b

    keys: list[tuple[int, int, str]] = []
    for _ in range(rng.randint(0, 7)):
        a, b = rng.choice(keys)[:2] if keys and rng.random() < 0.15 else place()  # another label, same offsets
        k = (a, b, rng.choice(SPAN_LABELS))
        if k not in keys:
            keys.append(k)
    if any(k[2] == "QUOTE" for k in keys) and not any(k[2] in ACTOR_LABELS for k in keys):
        keys.append((*place(), "PER"))
    gspans = [
        Span(f"g{i}", a, b, text[a:b], lab, f"{lab}{rng.randint(0, 1)}" if lab in ACTOR_LABELS else None,
             _attrs(rng, lab, True))
        for i, (a, b, lab) in enumerate(keys)
    ]

    def ids(spans: list[Span], labels: tuple[str, ...]) -> list[str]:
        return [s.id for s in spans if s.label in labels]

    grels = {("speaker", q, rng.choice(ids(gspans, ACTOR_LABELS))) for q in ids(gspans, ("QUOTE",))}
    for lab, (heads, tails) in RELATIONS.items():
        for _ in range(rng.randint(0, 2)):
            h, t = ids(gspans, heads), ids(gspans, tails)
            if h and t:
                grels.add((lab, rng.choice(h), rng.choice(t)))
    grels_sorted = sorted(r for r in grels if r[1] != r[2])
    gold = Document(id=did, text=text, split="test", spans=gspans,
                    relations=[Relation(f"r{k}", *r) for k, r in enumerate(grels_sorted)])

    pspans: list[Span] = []
    to_pred: dict[str, str] = {}

    def add(a: int, b: int, lab: str) -> str:
        pspans.append(Span(f"p{len(pspans)}", a, b, text[a:b], lab, None, _attrs(rng, lab, False)))
        return pspans[-1].id

    def shift(a: int, b: int) -> tuple[int, int]:
        while True:
            a2 = min(max(0, a + rng.randint(-2, 2)), n - 1)
            b2 = min(max(a2 + 1, b + rng.randint(-2, 2)), n)
            if (a2, b2) != (a, b):
                return a2, b2

    for s in gspans:
        r, (a, b), lab = rng.random(), (s.start, s.end), s.label
        if r < 0.15:
            continue
        if r < 0.3:
            lab = rng.choice([x for x in SPAN_LABELS if x != lab])
        elif r < 0.5:
            a, b = shift(a, b)
        elif r < 0.6:
            (a, b), lab = shift(a, b), rng.choice(SPAN_LABELS)
        to_pred[s.id] = add(a, b, lab)
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        a = rng.randrange(n)
        add(a, min(n, a + rng.randint(1, 6)), rng.choice(SPAN_LABELS))
    label_of = {s.id: s.label for s in pspans}
    prels: list[tuple[str, str, str]] = []
    for lab, h, t in grels_sorted:
        if h in to_pred and t in to_pred and rng.random() < 0.85:
            h2, t2 = to_pred[h], to_pred[t]
            if label_of[h2] in RELATIONS[lab][0] and label_of[t2] in RELATIONS[lab][1] and h2 != t2:
                prels.append((lab, h2, t2))
    for _ in range(rng.choice((0, 1, 2))):
        lab = rng.choice(RELATION_LABELS)
        h, t = ids(pspans, RELATIONS[lab][0]), ids(pspans, RELATIONS[lab][1])
        if h and t and (r := (lab, rng.choice(h), rng.choice(t))) not in prels and r[1] != r[2]:
            prels.append(r)
    for s in list(pspans):  # duplicates under a new id, with the same or other attributes, some in relations
        if rng.random() < 0.12:
            pspans.append(Span(f"p{len(pspans)}", s.start, s.end, s.text, s.label, None,
                               s.attributes if rng.random() < 0.5 else _attrs(rng, s.label, False)))
            for lab, h, t in list(prels):
                if t == s.id and rng.random() < 0.5:
                    prels.append((lab, h, pspans[-1].id))
                if h == s.id and rng.random() < 0.5:
                    prels.append((lab, pspans[-1].id, t))
    rng.shuffle(pspans)
    pred = Document(id=did, text=text, spans=pspans, relations=[Relation(f"q{k}", *r) for k, r in enumerate(prels)])
    assert not check_record(gold.to_dict(), "x", 1)
    assert not check_record(pred.to_dict(), "x", 1, predictions=True)
    return gold, pred


def _reordered(doc: Document, rng: random.Random) -> Document:
    spans, relations = list(doc.spans), list(doc.relations)
    rng.shuffle(spans)
    rng.shuffle(relations)
    return Document(id=doc.id, text=doc.text, split=doc.split, spans=spans, relations=relations)


@pytest.fixture(scope="module")
def random_corpus() -> tuple[list[Document], list[Document]]:
    rng = random.Random(20250117)
    pairs = [random_pair(rng, f"d{k}") for k in range(600)]
    return [g for g, _ in pairs], [p for _, p in pairs]


def _without_ids(rec: dict) -> str:
    rec = json.loads(json.dumps(rec))
    for side in ("gold", "pred", "head", "tail"):
        rec.get(side, {}).pop("id", None)
    return json.dumps(rec, sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled() -> dict[str, tuple[list[Document], list[Document], list[dict], dict]]:
    gold = read_documents([GOLD])
    out = {}
    for system in SYSTEMS:
        pred = read_documents([PREDICTIONS / f"{system}.test.jsonl"], predictions=True)
        out[system] = (gold, pred, *_run(gold, pred))
    return out


@pytest.mark.parametrize("system", SYSTEMS)
def test_bundled_records_add_up(bundled, system):
    gold, pred, records, rep = bundled[system]
    total = audit(gold, pred, records, rep)
    assert total["missed", "QUOTE"] and total["boundary"] and total["relation-missed", "speaker"]  # not vacuous
    # The same records, and the same counts, from each document scored alone.
    preds = {p.id: p for p in pred}
    for g in gold:
        alone, rep1 = _run([g], [preds[g.id]])
        assert alone == [r for r in records if r["doc"] == g.id], g.id
        compare_counts(audit_doc(g, preds[g.id], alone), rep1)


def test_bundled_cli_file_equals_api(bundled, tmp_path, monkeypatch):
    # Same records in the same order; also when two processes each count half the documents.
    monkeypatch.setattr(parallel_score, "MIN_PARALLEL_BYTES", 0)
    for system in SYSTEMS:
        _, _, records, rep = bundled[system]
        for workers in ("1", "2"):
            err, out = tmp_path / f"{system}{workers}.jsonl", tmp_path / f"{system}{workers}.json"
            res = CliRunner(env={"ITTIFAQ_WORKERS": workers}).invoke(cli, [
                "score", "--gold", str(GOLD), "--pred", str(PREDICTIONS / f"{system}.test.jsonl"), "--n-boot", "0",
                "--format", "json", "--out", str(out), "--errors", str(err)])
            assert res.exit_code == 0, res.output
            lines = err.read_text(encoding="utf-8").splitlines()
            assert [json.loads(x) for x in lines] == records, (system, workers)
            assert json.loads(out.read_text(encoding="utf-8"))["spans"] == rep["spans"]


# --------------------------------------------------------------------------- random documents


def test_random_records_add_up(random_corpus):
    gold, pred = random_corpus
    records, rep = _run(gold, pred)
    total = audit(gold, pred, records, rep)
    # The generator reaches every kind, duplicates and relation errors of every label.
    seen = Counter(r["kind"] for r in records)
    assert min(seen[k] for k in (*SIDES, *REL_KINDS)) >= 50, seen
    assert rep["duplicates"]["spans"] >= 50 and rep["duplicates"]["relations"] >= 10
    assert all(total["relation-spurious", lab] for lab in RELATION_LABELS)
    # Per document: each scored alone gives its records and counts.
    for g, p in list(zip(gold, pred, strict=True))[:150]:
        alone, rep1 = _run([g], [p])
        assert alone == [r for r in records if r["doc"] == g.id], g.id
        compare_counts(audit_doc(g, p, alone), rep1)


def test_missing_prediction_and_unknown_label():
    rng = random.Random(3)
    pairs = [random_pair(rng, f"m{k}") for k in range(40)]
    gold = [g for g, _ in pairs]
    pred = [p for k, (_, p) in enumerate(pairs) if k % 3]
    records, rep = _run(gold, pred)
    assert rep["missing_predictions"]
    audit(gold, pred, records, rep)
    # A label outside the schema counted as spurious, by its own name.
    g = next(g for g in gold if g.spans)
    s = g.spans[0]
    p = Document(id=g.id, text=g.text, spans=[Span("x", s.start, s.end, s.text, "EVENT")])
    records, rep = _run([g], [p], unknown_labels="spurious")
    assert [r["pred"]["label"] for r in records if r["kind"] == "spurious"] == ["EVENT"]
    assert rep["spans"]["strict"]["micro"]["counts"]["spurious"] == 1


def test_surface_text_when_prediction_text_is_absent_or_normalized():
    # Predictions without text, and with a text that differs from gold only by Arabic normalization:
    # the records quote the gold document's text at the offsets.
    text = "قال الرئيس إن الأردن وقعت"
    a = text.index("الأردن")
    gold = Document(id="n", text=text, split="test", spans=[Span("g", a, a + 6, text[a : a + 6], "GPE", "e")])
    for pred, kw in (
        (Document(id="n", spans=[Span("p", a, a + 5, "", "GPE")]), {}),
        (Document(id="n", text=text.replace("أ", "ا").replace("إ", "ا"),
                  spans=[Span("p", a, a + 5, text[a : a + 5].replace("أ", "ا"), "GPE")]), {"norm": "arabic"}),
    ):
        records, rep = _run([gold], [pred], **kw)
        assert [(r["kind"], r["pred"]["text"]) for r in records] == [("boundary", text[a : a + 5])]
        audit([gold], [Document(id="n", text=text, spans=pred.spans)], records, rep)


def test_deterministic_and_cli_equals_api(random_corpus, tmp_path):
    gold, pred = random_corpus
    gold, pred = gold[:200], pred[:200]
    records, _ = _run(gold, pred)
    assert _run(gold, pred)[0] == records
    gpath, ppath = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gpath.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in gold), encoding="utf-8")
    shuffled = list(pred)
    random.Random(4).shuffle(shuffled)  # predictions in another order than gold
    for preds in (pred, shuffled):
        ppath.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in preds), encoding="utf-8")
        files = []
        for k in range(2):
            err = tmp_path / f"e{k}.jsonl"
            res = CliRunner().invoke(cli, ["score", "--gold", str(gpath), "--pred", str(ppath), "--n-boot", "0",
                                           "--out", str(tmp_path / "r.txt"), "--errors", str(err)])
            assert res.exit_code == 0, res.output
            files.append(err.read_bytes())
        assert files[0] == files[1]
        # The sequence follows gold's document order, whatever the predictions' order.
        assert [json.loads(x) for x in files[0].decode("utf-8").splitlines()] == records


# --------------------------------------------------------------------------- input order


def test_record_set_does_not_depend_on_input_order(random_corpus):
    # Spans, relations and documents of both sides reordered: the same records as a set, ids aside
    # (which of two identical duplicates is named is pinned by a test below).
    gold, pred = random_corpus
    records, _ = _run(gold, pred)
    want = Counter(map(_without_ids, records))
    rng = random.Random(9)
    for _ in range(3):
        g2, p2 = [_reordered(d, rng) for d in gold], [_reordered(d, rng) for d in pred]
        rng.shuffle(g2)
        rng.shuffle(p2)
        got, rep = _run(g2, p2)
        assert Counter(map(_without_ids, got)) == want
        audit(g2, p2, got, rep)  # ids still name a span with the smallest attributes


TEXT = "وقعت مصر والأردن اتفاقا"


def _doc(spans: list[tuple[str, int, int, str]], gold: bool = False, did: str = "o") -> Document:
    return Document(id=did, text=TEXT, split="test" if gold else None, spans=[
        Span(i, a, b, TEXT[a:b], lab, f"e{i}" if gold else None) for i, a, b, lab in spans])


def test_record_sequence_does_not_depend_on_span_order():
    # No gold span; two spurious predictions, listed either way: the same sequence (by offsets).
    gold = _doc([], gold=True)
    spans = [("p1", 5, 8, "GPE"), ("p2", 0, 4, "CUE")]
    first = _run([gold], [_doc(spans)])[0]
    second = _run([gold], [_doc(spans[::-1])])[0]
    assert first == second


def test_record_sequence_follows_the_gold_documents_only():
    # Documents come in the gold's order (as the README says), whatever the predictions' order.
    golds = [_doc([("g", 5, 8, "GPE")], gold=True, did=d) for d in ("a", "b")]
    preds = [_doc([], did=d) for d in ("a", "b")]
    assert [r["doc"] for r in _run(golds, preds)[0]] == ["a", "b"]
    assert [r["doc"] for r in _run(golds[::-1], preds)[0]] == ["b", "a"]
    assert _run(golds, preds)[0] == _run(golds, preds[::-1])[0]


def test_named_duplicate_does_not_depend_on_span_order():
    # Two identical predictions (same offsets, label and attributes) under ids p1 and p2, no gold:
    # one spurious record, naming the smaller id whatever the input order.
    gold = _doc([], gold=True)
    spans = [("p1", 5, 8, "GPE"), ("p2", 5, 8, "GPE")]
    first = _run([gold], [_doc(spans)])[0]
    second = _run([gold], [_doc(spans[::-1])])[0]
    assert len(first) == len(second) == 1
    assert first == second
