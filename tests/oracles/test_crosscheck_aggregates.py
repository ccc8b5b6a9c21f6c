"""How the report turns counts into figures, re-derived from the README alone.

Written without reading the scorer's aggregation code (figures, counts, bootstrap):
every P, R and F1 of every span scheme and relation mode, at micro, macro, per-label
and per-layer level, is recomputed with plain Python from the report's own counts
(SemEval-2013 formulas, half credit for `partial`; relations 2·tp/(pred+gold)), and
the aggregation rules are checked on the bundled test predictions and on random
valid documents: per-label counts summing to micro and to layers, the macro label
set and its undefined values, `no_gold`/`no_pred` flags and nulls, the headline,
warnings, duplicates, missing predictions and the signature.

Bootstrap CIs are checked for shape, range, determinism per seed and, against a
resampling of per-document counts (each document scored alone), in distribution:
the scorer's bound must sit at the 2.5 % / 97.5 % point of the reference distribution
within five standard errors of a percentile estimated from K and M draws.

Readings the README leaves open are marked `ambiguity` and follow what the scorer does.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random

import numpy as np
import pytest
from support import REPO

from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.validation import check_record
from ittifaq.evaluate.schema import (
    ACTOR_LABELS,
    LAYERS,
    RELATION_LABELS,
    RELATIONS,
    SPAN_LABELS,
    Attributes,
    Document,
    Relation,
    Span,
)
from ittifaq.evaluate.scoring.pipeline import score

GOLD = REPO / "corpus" / "data" / "test.jsonl"
SYSTEMS = ("rules", "crf", "spacy")
SCHEMES = ("strict", "exact", "partial", "type", "clitic")
MODES = ("strict", "boundaries", "relaxed", "entity")
SPAN_FIELDS = (
    "correct", "incorrect", "partial", "missed", "spurious",
    "pred_correct", "pred_incorrect", "pred_partial", "possible", "actual",
)
REL_FIELDS = ("tp", "fp", "fn", "pred", "gold")
UNKNOWN = "<unknown>"
TOL = 5e-7 + 1e-9  # the report keeps six decimals

# --------------------------------------------------------------------------- reference


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def harmonic(p: float | None, r: float | None) -> float | None:
    # ambiguity (span F1 with one side empty): the README gives "0 when one side is empty,
    # null when both are" for relations only; spans follow the same rule.
    if p is None and r is None:
        return None
    if p is None or r is None or p + r == 0:
        return 0.0
    return 2 * p * r / (p + r)


def span_figures(c: dict, scheme: str) -> dict:
    """SemEval-2013: P = (COR + ½·PAR)/ACT, R = (COR + ½·PAR)/POS; half credit only under `partial`.

    ambiguity (per-label precision): a prediction's credit is booked under its own label
    (`pred_correct`, `pred_partial`), recall under the gold label (`correct`, `partial`).
    """
    half = 0.5 if scheme == "partial" else 0.0
    p = ratio(c["pred_correct"] + half * c["pred_partial"], c["actual"])
    r = ratio(c["correct"] + half * c["partial"], c["possible"])
    return {"p": p, "r": r, "f1": harmonic(p, r)}


def relation_figures(c: dict) -> dict:
    f1 = None if c["pred"] + c["gold"] == 0 else 2 * c["tp"] / (c["pred"] + c["gold"])
    return {"p": ratio(c["tp"], c["pred"]), "r": ratio(c["tp"], c["gold"]), "f1": f1}


def flags_of(gold: int, pred: int) -> list[str]:
    return (["no_gold"] if gold == 0 else []) + (["no_pred"] if pred == 0 else [])


def macro_of(per_label: dict, labels: list[str]) -> dict:
    """Mean over the labels (figures recomputed from counts, unrounded); a label's undefined
    value counts 0; null only if undefined for all.

    ambiguity (macro F1): the mean of the per-label F1s, not the F1 of the mean P and R.
    """
    out = {}
    for k in ("p", "r", "f1"):
        vals = [per_label[lab][k] for lab in labels]
        out[k] = None if all(v is None for v in vals) else sum(v or 0.0 for v in vals) / len(vals)
    return out


def same(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return abs(got - want) <= TOL


def assert_figures(entry: dict, want: dict, where: str) -> None:
    for k in ("p", "r", "f1"):
        assert same(entry[k], want[k]), (where, k, entry[k], want[k])


def add_counts(entries: list[dict], fields: tuple[str, ...]) -> dict:
    return {f: sum(e["counts"][f] for e in entries) for f in fields}


def check_spans(spans: dict) -> None:
    """Every documented rule of the span section of one report, from its own counts."""
    for scheme in SCHEMES:
        s = spans[scheme]
        per = s["per_label"]
        assert list(per)[: len(SPAN_LABELS)] == list(SPAN_LABELS)
        assert set(per) <= set(SPAN_LABELS) | {UNKNOWN}
        for lab, e in per.items():
            c = e["counts"]
            where = f"{scheme}/{lab}"
            assert_figures(e, span_figures(c, scheme), where)
            assert c["possible"] == c["correct"] + c["incorrect"] + c["partial"] + c["missed"], where
            assert c["actual"] == c["pred_correct"] + c["pred_incorrect"] + c["pred_partial"] + c["spurious"], where
            if scheme != "partial":
                assert c["partial"] == c["pred_partial"] == 0, where
            extra = ["not_in_schema"] if lab == UNKNOWN else []
            assert e["flags"] == extra + flags_of(c["possible"], c["actual"]), where
        # micro = sum of every per-label entry (unknown labels included)
        m = s["micro"]
        assert m["counts"] == add_counts(list(per.values()), SPAN_FIELDS), scheme
        for a, b in (("correct", "pred_correct"), ("incorrect", "pred_incorrect"), ("partial", "pred_partial")):
            assert m["counts"][a] == m["counts"][b], (scheme, a)
        assert_figures(m, span_figures(m["counts"], scheme), f"{scheme}/micro")
        assert m["flags"] == flags_of(m["counts"]["possible"], m["counts"]["actual"])
        # layers = sum of their schema labels; unknown labels in no layer
        assert list(s["per_layer"]) == list(LAYERS)
        for layer, labs in LAYERS.items():
            e = s["per_layer"][layer]
            assert e["counts"] == add_counts([per[lab] for lab in labs], SPAN_FIELDS), (scheme, layer)
            assert_figures(e, span_figures(e["counts"], scheme), f"{scheme}/{layer}")
            assert e["flags"] == flags_of(e["counts"]["possible"], e["counts"]["actual"])
        check_macro(s["macro"], per, scheme, scheme)


def check_relations(relations: dict) -> None:
    for mode in MODES:
        s = relations[mode]
        per = s["per_label"]
        assert list(per) == list(RELATION_LABELS)
        for lab, e in per.items():
            c = e["counts"]
            assert c["fp"] == c["pred"] - c["tp"] and c["fn"] == c["gold"] - c["tp"], (mode, lab)
            assert_figures(e, relation_figures(c), f"rel {mode}/{lab}")
            assert e["flags"] == flags_of(c["gold"], c["pred"]), (mode, lab)
        m = s["micro"]
        assert m["counts"] == add_counts(list(per.values()), REL_FIELDS), mode
        assert_figures(m, relation_figures(m["counts"]), f"rel {mode}/micro")
        assert m["flags"] == flags_of(m["counts"]["gold"], m["counts"]["pred"])
        check_macro(s["macro"], per, None, f"rel {mode}")


def check_macro(macro: dict, per: dict, scheme: str | None, where: str) -> None:
    """`scheme` None for a relation mode."""
    schema, (gold_key, pred_key) = (RELATION_LABELS, ("gold", "pred")) if scheme is None else (SPAN_LABELS, ("possible", "actual"))

    def figures(c: dict) -> dict:
        return relation_figures(c) if scheme is None else span_figures(c, scheme)

    labels = [lab for lab in schema if per[lab]["counts"][gold_key] + per[lab]["counts"][pred_key] > 0]
    assert macro["labels"] == labels, where
    assert macro["labels_excluded"] == [lab for lab in schema if lab not in labels], where
    assert UNKNOWN not in macro["labels"] + macro["labels_excluded"]
    assert macro["counts"] == {}
    assert_figures(macro, macro_of({lab: figures(per[lab]["counts"]) for lab in labels}, labels), f"{where}/macro")
    # ambiguity (macro flags): no_gold / no_pred when no macro label has gold / a prediction,
    # plus `no_labels` when the label set is empty (for relations too, since this audit).
    gold = sum(per[lab]["counts"][gold_key] for lab in labels)
    pred = sum(per[lab]["counts"][pred_key] for lab in labels)
    extra = [] if labels else ["no_labels"]
    assert macro["flags"] == flags_of(gold, pred) + extra, where


def check_other_figures(d: dict) -> None:
    """Attributes and quote attribution: the same ratios from their own counts."""
    for name, a in d["attributes"].items():
        assert same(a["accuracy"], ratio(a["correct"], a["total"])), name
    q = d["quotes"]
    for name in ("content_strict", "cue", "speaker_strict", "speaker_entity"):
        c = q[name]["counts"]
        assert_figures(q[name], relation_figures(c) if "tp" in c else span_figures(c, "strict"), name)
    c = q["content_tokens"]["counts"]
    want_t = {"p": ratio(c["overlap_tokens"], c["pred_tokens"]), "r": ratio(c["overlap_tokens"], c["gold_tokens"])}
    assert_figures(q["content_tokens"], {**want_t, "f1": harmonic(want_t["p"], want_t["r"])}, "content_tokens")
    for name, e in q["analyst"].items():
        if name == "n_gold":
            continue
        c = e["counts"]
        keys = ("pred_tokens_correct", "pred_tokens", "gold_tokens_found", "gold_tokens") if "pred_tokens" in c else (
            "pred_correct", "pred", "gold_found", "gold")
        p, r = ratio(c[keys[0]], c[keys[1]]), ratio(c[keys[2]], c[keys[3]])
        assert_figures(e, {"p": p, "r": r, "f1": harmonic(p, r)}, f"analyst/{name}")


def check_report(d: dict) -> None:
    check_spans(d["spans"])
    check_relations(d["relations"])
    check_other_figures(d)
    for side, section, key in (("spans", d["spans"]["strict"], "scheme"), ("relations", d["relations"]["strict"], "mode")):
        h, m = d["headline"][side], section["micro"]
        assert (h[key], h["average"], h["f1"], h["flags"]) == ("strict", "micro", m["f1"], m["flags"]), side
        want_ci = None if "ci" not in m or m["ci"]["f1"] is None else m["ci"]["f1"]
        assert h["ci"] == want_ci, side
    # "a warning when a whole side holds no span or relation"
    for word, section, g, p in (
        ("span", d["spans"]["strict"]["micro"]["counts"], "possible", "actual"),
        ("relation", d["relations"]["strict"]["micro"]["counts"], "gold", "pred"),
    ):
        for flag, empty in (("no_gold", section[g] == 0), ("no_pred", section[p] == 0)):
            said = any(f"no {word}" in w and f"flag {flag}" in w for w in d["warnings"])
            assert said == empty, (word, flag, d["warnings"])


def each_figure(d: dict):
    """(path, entry) of every span and relation figure with p, r, f1."""
    for scheme in SCHEMES:
        s = d["spans"][scheme]
        yield ("spans", scheme, "micro"), s["micro"]
        yield ("spans", scheme, "macro"), s["macro"]
        for lab, e in s["per_label"].items():
            yield ("spans", scheme, "per_label", lab), e
        for layer, e in s["per_layer"].items():
            yield ("spans", scheme, "per_layer", layer), e
    for mode in MODES:
        s = d["relations"][mode]
        yield ("relations", mode, "micro"), s["micro"]
        yield ("relations", mode, "macro"), s["macro"]
        for lab, e in s["per_label"].items():
            yield ("relations", mode, "per_label", lab), e


# --------------------------------------------------------------------------- random valid documents

WORDS = ("قمر", "جسر", "نهر", "ورقة", "سفينة", "مدينة", "ميناء", "واحة", "قلعة", "برج", "سوق", "حقل", "،")
KINDS = ("direct", "indirect")
ROLES = ("analyst", "official", "journalist", "other")
TYPES = ("energy", "peace", "military", "other")
STATUSES = ("planned", "signed", "suspended")


def _attrs(rng: random.Random, label: str, gold: bool) -> Attributes:
    maybe = (lambda v: v) if gold else (lambda v: v if rng.random() < 0.8 else None)
    if label == "QUOTE":
        return Attributes(quote_kind=maybe(rng.choice(KINDS)), source_role=maybe(rng.choice(ROLES)))
    if label == "AGREEMENT":
        return Attributes(agreement_type=maybe(rng.choice(TYPES)), status=maybe(rng.choice(STATUSES)))
    return Attributes()


def gold_doc(rng: random.Random, did: str, labels: tuple[str, ...]) -> Document:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 18))]
    text = " ".join(words)
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    ends = [s + len(w) for s, w in zip(starts, words, strict=True)]
    kinds = {f"e{k}": rng.choice(ACTOR_LABELS) for k in range(3)}
    spans: list[Span] = []
    free = set(range(len(words)))
    for _ in range(rng.randint(0, 6)):
        label = rng.choice(labels)
        n = rng.randint(1, 3)
        i = rng.randrange(len(words))
        if not all(j in free for j in range(i, min(i + n, len(words)))) or i + n > len(words):
            continue
        free.difference_update(range(i, i + n))
        entity = None
        if label in ACTOR_LABELS:
            entity = rng.choice([e for e, k in kinds.items() if k == label] or [f"x{label}"])
        a, b = starts[i], ends[i + n - 1]
        spans.append(Span(f"g{len(spans)}", a, b, text[a:b], label, entity, _attrs(rng, label, True)))
    actors = [s for s in spans if s.label in ACTOR_LABELS]
    quotes = [s for s in spans if s.label == "QUOTE"]
    if quotes and not actors:  # a gold quote needs a speaker
        spans = [s for s in spans if s.label != "QUOTE"]
        quotes = []
    triples = set()
    for q in quotes:
        triples.add(("speaker", q.id, rng.choice(actors).id))
        cues = [s for s in spans if s.label == "CUE"]
        if cues and rng.random() < 0.7:
            triples.add(("cue", q.id, rng.choice(cues).id))
    for s in spans:
        if s.label == "AGREEMENT" and actors and rng.random() < 0.8:
            triples.add(("party", s.id, rng.choice(actors).id))
        orgs = [t for t in spans if t.label in ("ORG", "GPE")]
        if s.label == "PER" and orgs and rng.random() < 0.6:
            triples.add(("affiliation", s.id, rng.choice(orgs).id))
    relations = [Relation(f"r{k}", lab, h, t) for k, (lab, h, t) in enumerate(sorted(triples))]
    return Document(id=did, text=text, split="test", spans=spans, relations=relations)


def pred_doc(rng: random.Random, gold: Document, labels: tuple[str, ...]) -> Document:
    text, n = gold.text, len(gold.text)
    spans: list[Span] = []
    made: dict[str, Span] = {}

    def add(a: int, b: int, label: str, entity: str | None) -> Span:
        a = max(0, min(a, n - 1))
        b = max(a + 1, min(b, n))
        s = Span(f"p{len(spans)}", a, b, text[a:b], label, entity, _attrs(rng, label, False))
        spans.append(s)
        return s

    if rng.random() < 0.1:
        return Document(id=gold.id, text=text)
    for g in gold.spans:
        r = rng.random()
        if r < 0.5:
            made[g.id] = add(g.start, g.end, g.label, g.entity)
        elif r < 0.62:
            made[g.id] = add(g.start, g.end, rng.choice(labels), None)
        elif r < 0.85:
            made[g.id] = add(g.start + rng.randint(-3, 3), g.end + rng.randint(-3, 3), rng.choice((g.label, g.label, rng.choice(labels))), None)
    for _ in range(rng.randint(0, 2)):
        a = rng.randrange(n)
        add(a, a + rng.randint(1, 9), rng.choice(labels), None)
    triples = set()
    for rel in gold.relations:
        if rel.head in made and rel.tail in made and rng.random() < 0.8:
            triples.add((rel.label, made[rel.head].id, made[rel.tail].id))
    label_of = {s.id: s.label for s in spans}
    relations = [
        Relation(f"q{k}", lab, h, t)
        for k, (lab, h, t) in enumerate(sorted(triples))
        if label_of[h] in RELATIONS[lab][0] and label_of[t] in RELATIONS[lab][1]
    ]
    rng.shuffle(spans)
    return Document(id=gold.id, text=text, spans=spans, relations=relations)


def random_corpus(rng: random.Random, n_docs: int, tag: str) -> tuple[list[Document], list[Document]]:
    labels = tuple(lab for lab in SPAN_LABELS if rng.random() < 0.75) or ("PER",)
    gold = [gold_doc(rng, f"{tag}-{i}", labels) for i in range(n_docs)]
    pred = [pred_doc(rng, g, labels) for g in gold]
    for g, p in zip(gold, pred, strict=True):
        assert check_record(g.to_dict(), "x", 1) == [], g.to_dict()
        assert check_record(p.to_dict(), "x", 1, predictions=True) == [], p.to_dict()
    return gold, pred


# --------------------------------------------------------------------------- bundled data

@pytest.fixture(scope="module")
def bundled() -> dict:
    gold = read_documents([GOLD])
    out = {}
    for name in SYSTEMS:
        pred = read_documents([REPO / "results" / "predictions" / f"{name}.test.jsonl"], predictions=True)
        out[name] = (gold, pred, score(gold, pred, n_boot=K_BOOT, seed=11).to_dict())
    return out


K_BOOT = 2000  # scorer resamples in the CI checks
M_REF = 20000  # reference resamples


def test_bundled_figures_follow_the_formulas(bundled):
    for gold, _, d in bundled.values():
        check_report(d)
        assert d["n_docs"] == len(gold)
        assert d["labels"] == {"spans": list(SPAN_LABELS), "relations": list(RELATION_LABELS),
                               "layers": {k: list(v) for k, v in LAYERS.items()}}


def test_random_documents_follow_the_formulas():
    rng = random.Random(2024)
    seen_excluded = seen_null_p = seen_no_labels = 0
    for case in range(60):
        gold, pred = random_corpus(rng, rng.randint(1, 6), f"c{case}")
        d = score(gold, pred, n_boot=0).to_dict()
        check_report(d)
        seen_excluded += bool(d["spans"]["strict"]["macro"]["labels_excluded"])
        seen_null_p += any(e["p"] is None for e in d["spans"]["strict"]["per_label"].values())
        seen_no_labels += not d["relations"]["strict"]["macro"]["labels"]
    assert seen_excluded > 10 and seen_null_p > 10 and seen_no_labels > 0


def _doc(did: str, text: str, spans=(), relations=()) -> Document:
    return Document(id=did, text=text, split="test", spans=list(spans), relations=list(relations))


def test_empty_sides_are_null_and_flagged():
    text = "جسر قمر نهر"
    per = Span("g0", 0, 3, "جسر", "PER", "e1")
    gpe = Span("g1", 4, 7, "قمر", "GPE", "e2")
    gold = [_doc("a", text, [per, gpe], [Relation("r0", "affiliation", "g0", "g1")])]
    empty = [_doc("a", text)]
    no_pred = score(gold, empty, n_boot=50).to_dict()
    no_gold = score(empty, [Document(id="a", text=text, spans=[per, gpe])], n_boot=50).to_dict()
    neither = score(empty, empty, n_boot=50).to_dict()
    for d in (no_pred, no_gold, neither):
        check_report(d)
    m = no_pred["spans"]["partial"]["micro"]
    assert (m["p"], m["r"], m["f1"], m["flags"]) == (None, 0.0, 0.0, ["no_pred"])
    assert m["ci"]["p"] is None and m["ci"]["r"] == [0.0, 0.0]
    m = no_gold["spans"]["type"]["macro"]
    assert (m["p"], m["r"], m["f1"], m["flags"], m["labels"]) == (0.0, None, 0.0, ["no_gold"], ["PER", "GPE"])
    for d in (no_pred, no_gold):
        e = d["spans"]["strict"]["per_label"]["QUOTE"]
        assert (e["p"], e["r"], e["f1"], e["flags"]) == (None, None, None, ["no_gold", "no_pred"])
        assert e["ci"] == {"level": 0.95, "p": None, "r": None, "f1": None}
    h = neither["headline"]
    assert h["spans"]["f1"] is None and h["spans"]["ci"] is None and h["spans"]["flags"] == ["no_gold", "no_pred"]
    assert neither["spans"]["exact"]["macro"]["flags"] == ["no_gold", "no_pred", "no_labels"]
    assert len(neither["warnings"]) == 4


def test_unknown_labels_count_in_micro_but_in_no_layer_nor_macro():
    text = "جسر قمر نهر برج"
    gold = [_doc("a", text, [Span("g0", 0, 3, "جسر", "PER", "e1"), Span("g1", 4, 7, "قمر", "ORG", "e2")])]
    pred = [Document(id="a", text=text, spans=[
        Span("p0", 0, 3, "جسر", "PER"), Span("p1", 4, 7, "قمر", "FOO"),
        Span("p2", 8, 11, "نهر", "BAR"), Span("p3", 12, 15, "برج", "FOO"),
    ])]
    d = score(gold, pred, n_boot=0, unknown_labels="spurious").to_dict()
    check_report(d)
    for scheme in SCHEMES:
        s = d["spans"][scheme]
        unk = s["per_label"][UNKNOWN]["counts"]
        # ambiguity: all unknown labels share one entry `<unknown>` (flag `not_in_schema`), and are
        # spurious under every scheme, `exact` included although p1 has gold g1's boundaries.
        assert (unk["spurious"], unk["actual"], unk["possible"]) == (3, 3, 0), scheme
        layers = add_counts(list(s["per_layer"].values()), SPAN_FIELDS)
        assert {f: layers[f] + unk[f] for f in SPAN_FIELDS} == s["micro"]["counts"]
        assert layers["actual"] < s["micro"]["counts"]["actual"]
    with pytest.raises(Exception, match="FOO"):
        score(gold, pred, n_boot=0)


def test_missing_prediction_is_scored_as_empty_and_duplicates_change_no_figure():
    rng = random.Random(7)
    gold, pred = random_corpus(rng, 5, "m")
    full = score(gold, pred, n_boot=0).to_dict()
    missing = score(gold, pred[1:], n_boot=0).to_dict()
    as_empty = score(gold, [Document(id=gold[0].id, text=gold[0].text), *pred[1:]], n_boot=0).to_dict()
    assert missing["missing_predictions"] == [gold[0].id] and missing["warnings"]
    assert missing["spans"] == as_empty["spans"] and missing["relations"] == as_empty["relations"]
    # Exact repeats (same offsets, label, attributes; same relation arguments) under new ids.
    doubled = copy.deepcopy(pred)
    n_spans = n_rels = 0
    for p in doubled:
        extra = [Span(f"d{s.id}", s.start, s.end, s.text, s.label, s.entity, s.attributes) for s in p.spans[:2]]
        # a relation stated twice is invalid input; one from a repeated span is an exact repeat
        copied = {s.id[1:] for s in extra}
        rels = [Relation(f"d{r.id}", r.label, f"d{r.head}", r.tail) for r in p.relations if r.head in copied][:1]
        p.spans += extra
        p.relations += rels
        n_spans += len(extra)
        n_rels += len(rels)
    dup = score(gold, doubled, n_boot=0).to_dict()
    assert dup["duplicates"] == {"spans": n_spans, "relations": n_rels} and n_spans and n_rels
    for key in ("spans", "relations", "attributes", "quotes", "headline"):
        assert dup[key] == full[key], key


def test_signature_and_config():
    gold = read_documents([GOLD])
    pred = read_documents([REPO / "results" / "predictions" / "crf.test.jsonl"], predictions=True)
    d = score(gold, pred, n_boot=7, seed=99, gold_path=GOLD).to_dict()
    digest = hashlib.sha256(GOLD.read_bytes()).hexdigest()[:12]
    assert d["signature"] == (
        f"ittifaq:v0.1.0|schema:1.0|gold:{digest}|split:test|spans:{','.join(SCHEMES)}"
        f"|rel:{','.join(MODES)}|norm:none|unk:error|boot:7|seed:99"
    )
    assert digest in (REPO / "README.md").read_text(encoding="utf-8")
    assert d["config"] == {"schemes": list(SCHEMES), "relation_modes": list(MODES), "n_boot": 7, "seed": 99,
                           "ci_level": 0.95, "norm": "none", "unknown_labels": "error", "split": "test"}
    api = score(gold, pred, n_boot=0).signature
    field = api.split("|")[2]
    assert field.startswith("gold:content-") and field != f"gold:{digest}"
    # "a digest of the gold content in the order given"
    assert score(gold[::-1], pred, n_boot=0).signature.split("|")[2] != field


# --------------------------------------------------------------------------- bootstrap

def test_ci_shape_range_and_seed(bundled):
    gold, pred, d = bundled["crf"]
    outside = []
    for _, _, rep in bundled.values():
        for path, e in each_figure(rep):
            ci = e["ci"]
            assert ci["level"] == 0.95
            for k in ("p", "r", "f1"):
                if e[k] is None:
                    assert ci[k] is None, path
                    continue
                lo, hi = ci[k]
                assert 0.0 <= lo <= hi <= 1.0, (path, k)
                if not lo - TOL <= e[k] <= hi + TOL:
                    outside.append((path, k))
    # A percentile interval need not hold the point estimate (a ratio or a mean over labels is
    # not the median of its resamples); on this data it always does.
    assert outside == []
    again = score(gold, pred, n_boot=K_BOOT, seed=11).to_dict()
    assert again == d
    other = score(gold, pred, n_boot=K_BOOT, seed=12).to_dict()
    changed = [path for (path, e), (_, f) in zip(each_figure(d), each_figure(other), strict=True) if e["ci"] != f["ci"]]
    assert len(changed) > 0.9 * len(list(each_figure(d)))
    for (_, e), (_, f) in zip(each_figure(d), each_figure(other), strict=True):
        assert (e["p"], e["r"], e["f1"]) == (f["p"], f["r"], f["f1"])


def per_doc_reports(gold: list[Document], pred: list[Document]) -> list[dict]:
    by_id = {p.id: p for p in pred}
    return [score([g], [by_id[g.id]], n_boot=0, validate=False).to_dict() for g in gold]


def _entry(d: dict, path: tuple) -> dict:
    x = d
    for k in path:
        x = x[k]
    return x


def _vector_figures(path: tuple, summed: dict) -> dict:
    """P, R, F1 arrays (nan where undefined) over resamples, from summed count arrays."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if path[0] == "relations":
            tp, pr, go = summed["tp"], summed["pred"], summed["gold"]
            p, r = tp / pr, tp / go
            f1 = np.where(pr + go > 0, 2 * tp / (pr + go), np.nan)
        else:
            half = 0.5 if path[1] == "partial" else 0.0
            p = (summed["pred_correct"] + half * summed["pred_partial"]) / summed["actual"]
            r = (summed["correct"] + half * summed["partial"]) / summed["possible"]
            hm = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
            f1 = np.where(np.isnan(p) & np.isnan(r), np.nan, np.where(np.isnan(p) | np.isnan(r), 0.0, hm))
    return {"p": p, "r": r, "f1": f1}


def reference_distributions(d: dict, docs: list[dict], weights: np.ndarray) -> dict:
    """Every figure over resamples of documents, from per-document counts."""
    out = {}
    for path, _ in each_figure(d):
        if path[2] == "macro":
            continue
        fields = REL_FIELDS if path[0] == "relations" else SPAN_FIELDS
        per = np.array([[_entry(x, path)["counts"][f] for f in fields] for x in docs], dtype=float)
        summed = dict(zip(fields, (weights @ per).T, strict=True))
        out[path] = _vector_figures(path, summed)
    for path, e in each_figure(d):
        if path[2] != "macro":
            continue
        # ambiguity (CI of a macro average): the label set of the whole sample, and a label
        # undefined in a resample counts 0 there; (CI of any figure) resamples where the
        # figure is undefined are left out of the percentiles.
        stack = {k: np.array([out[(*path[:2], "per_label", lab)][k] for lab in e["labels"]]) for k in ("p", "r", "f1")}
        out[path] = {
            k: np.where(np.isnan(v).all(axis=0), np.nan, np.nan_to_num(v).mean(axis=0)) if len(v) else None
            for k, v in stack.items()
        }
    return out


def assert_ci_in_distribution(d: dict, ref: dict, k_boot: int, m_ref: int, where: str) -> int:
    checked = 0
    for path, e in each_figure(d):
        for k in ("p", "r", "f1"):
            if e[k] is None:
                continue
            values = ref[path][k]
            values = values[~np.isnan(values)]
            for q, bound in zip((0.025, 0.975), e["ci"][k], strict=True):
                # The bound is the q-quantile of K draws: its place in the true distribution has a
                # standard error sqrt(q(1-q)/K); the reference CDF adds sqrt(q(1-q)/M).
                tol = 5 * math.sqrt(q * (1 - q) * (1 / k_boot + 1 / m_ref)) + 1e-9
                below = np.mean(values < bound - TOL)
                upto = np.mean(values <= bound + TOL)
                assert below <= q + tol and upto >= q - tol, (where, path, k, q, bound, below, upto)
                checked += 1
    return checked


def _weights(rng: np.random.Generator, n_docs: int, m: int) -> np.ndarray:
    return rng.multinomial(n_docs, [1 / n_docs] * n_docs, size=m).astype(float)


def test_ci_agrees_with_resampling_documents(bundled):
    rng = np.random.default_rng(5)
    checked = 0
    for name, (gold, pred, d) in bundled.items():
        docs = per_doc_reports(gold, pred)
        # per-document counts add up to the corpus counts ("per-document counts concatenate")
        for path, e in each_figure(d):
            if path[2] != "macro":
                fields = REL_FIELDS if path[0] == "relations" else SPAN_FIELDS
                assert e["counts"] == add_counts([_entry(x, path) for x in docs], fields), (name, path)
        ref = reference_distributions(d, docs, _weights(rng, len(docs), M_REF))
        checked += assert_ci_in_distribution(d, ref, K_BOOT, M_REF, name)
        if name == "crf":
            # Shuffled gold order: same point figures, other CIs (resampling is by position), same distribution.
            order = list(range(len(gold)))
            random.Random(3).shuffle(order)
            shuffled = score([gold[i] for i in order], pred, n_boot=K_BOOT, seed=11).to_dict()
            checked += assert_ci_in_distribution(shuffled, ref, K_BOOT, M_REF, "crf shuffled")
    assert checked > 3 * 500


def test_ci_on_sparse_random_documents():
    # Labels present in few documents: many resamples leave a per-label figure undefined.
    rng = random.Random(77)
    gold, pred = random_corpus(rng, 25, "b")
    d = score(gold, pred, n_boot=K_BOOT, seed=3).to_dict()
    ref = reference_distributions(d, per_doc_reports(gold, pred), _weights(np.random.default_rng(8), len(gold), M_REF))
    assert assert_ci_in_distribution(d, ref, K_BOOT, M_REF, "sparse") > 200


def test_ci_rules_for_undefined_resamples_on_an_exact_case():
    # Ten documents, PER found in each; only d0 has ORG (1 of 2 predictions right). A resample
    # leaves d0 out with probability 0.9**10 = 0.35, far from both 2.5 % tails, so the bounds are
    # fixed: ORG's P is 0.5 whenever defined; macro P is 0.75 with d0, 0.5 without (ORG counts 0).
    text = "جسر قمر نهر برج"
    per, org = Span("g0", 0, 3, "جسر", "PER", "e1"), Span("g1", 4, 7, "قمر", "ORG", "e2")
    gold = [_doc(f"d{i}", text, [per, org] if i == 0 else [per]) for i in range(10)]
    spurious = Span("p2", 8, 11, "نهر", "ORG")
    pred = [Document(id=f"d{i}", text=text, spans=[per, org, spurious] if i == 0 else [per]) for i in range(10)]
    d = score(gold, pred, n_boot=1000, seed=1).to_dict()["spans"]["strict"]
    assert d["per_label"]["ORG"]["ci"]["p"] == [0.5, 0.5]
    assert d["macro"]["ci"]["p"] == [0.5, 0.75] and d["macro"]["ci"]["r"] == [0.5, 1.0]
    assert d["macro"]["p"] == 0.75


def test_order_of_documents(bundled):
    # README: the matching "never depends on span or document order". With a fixed seed the
    # predictions' order changes nothing at all; gold order changes only the CIs (documents are
    # resampled by position; checked in distribution above) and the `content-` digest.
    gold, pred, d = bundled["spacy"]
    shuffled_pred = list(pred)
    random.Random(1).shuffle(shuffled_pred)
    assert score(gold, shuffled_pred, n_boot=K_BOOT, seed=11).to_dict() == d
    order = list(range(len(gold)))
    random.Random(2).shuffle(order)
    e = score([gold[i] for i in order], [pred[i] for i in order], n_boot=0).to_dict()
    base = score(gold, pred, n_boot=0).to_dict()
    assert {k: v for k, v in e.items() if k != "signature"} == {k: v for k, v in base.items() if k != "signature"}


def test_no_ci_without_bootstrap(bundled):
    gold, pred, _ = bundled["rules"]
    d = score(gold, pred, n_boot=0).to_dict()
    assert all("ci" not in e for _, e in each_figure(d))
    assert all("ci" not in e for k, e in d["quotes"].items() if k != "analyst")
    # ambiguity: the headline keeps its `ci` key, as null.
    assert d["headline"]["spans"]["ci"] is None and d["headline"]["relations"]["ci"] is None


def test_no_attribute_ci_without_bootstrap():
    # Minimal: one document, one gold AGREEMENT predicted with the same attributes.
    text = "جسر قمر"
    agr = Span("g0", 0, 3, "جسر", "AGREEMENT", attributes=Attributes(agreement_type="peace", status="signed"))
    d = score([_doc("a", text, [agr])], [Document(id="a", text=text, spans=[agr])], n_boot=0).to_dict()
    assert d["attributes"]["status"]["accuracy"] == 1.0
    assert "ci" not in d["attributes"]["status"]
