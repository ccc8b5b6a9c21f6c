"""`compare` and `agree` checked against a reference built from the README alone.

Documents are scored one at a time; their counts (which must sum to the corpus
counts) drive our own paired bootstrap and approximate randomization: exact (every swap mask) when the
test split has at most 16 documents, otherwise 100,000 random swap masks. The scorer's RNG is not
reproduced, so its p-values and difference intervals are compared in
distribution, within a few binomial standard errors. "stat >= observed" is read
two-sided, as the scorer does it: |d* - mean d*| (bootstrap) and |d_swapped|
(randomization) against |d|.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from support import REPO

from ittifaq.evaluate.authoring.sources import read_source
from ittifaq.evaluate.cli import cli
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.scoring.compare import agree, compare
from ittifaq.evaluate.scoring.pipeline import score

GOLD = REPO / "corpus" / "data" / "test.jsonl"
PRED = REPO / "results" / "predictions"
AGREEMENT = REPO / "corpus" / "agreement"
SYSTEMS = ("rules", "spacy", "crf")
N = 2000  # scorer draws in the distribution checks
M = 100_000  # reference bootstrap draws
EXACT_MAX_DOCS = 16  # up to 2^16 swap masks are enumerated; beyond, MASKS random ones
MASKS = 100_000
SEED = 4242
Z = 4.0  # standard errors allowed

SPAN_LABELS = ("PER", "ORG", "GPE", "AGREEMENT", "QUOTE", "CUE")
LAYERS = ("actors", "agreements", "quotes", "cues")
SCHEMES = ("strict", "exact", "partial", "type", "clitic")
MODES = ("strict", "boundaries", "relaxed", "entity")

# Figures the README lists for compare: micro F1 per scheme and per mode, the two strict macro F1s,
# strict F1 per layer, and token-overlap quote content.
COMPARED = (
    [f"spans.{s}.micro.f1" for s in SCHEMES]
    + [f"relations.{m}.micro.f1" for m in MODES]
    + ["spans.strict.macro.f1", "relations.strict.macro.f1"]
    + [f"spans.strict.per_layer.{la}.f1" for la in LAYERS]
    + ["quotes.content_tokens.f1"]
)


def _span_nd(c: dict) -> tuple[float, float]:
    return c["correct"] + 0.5 * c["partial"], c["possible"] + c["actual"]


def _rel_nd(c: dict) -> tuple[float, float]:
    return c["tp"], c["pred"] + c["gold"]


def _tok_nd(c: dict) -> tuple[float, float]:
    return c["overlap_tokens"], c["pred_tokens"] + c["gold_tokens"]


# figure -> (path to its entry in a score report, counts -> (F1 numerator / 2, F1 denominator))
REFERENCED = {
    "spans.strict.micro.f1": (("spans", "strict", "micro"), _span_nd),
    "spans.partial.micro.f1": (("spans", "partial", "micro"), _span_nd),
    "relations.strict.micro.f1": (("relations", "strict", "micro"), _rel_nd),
    "relations.entity.micro.f1": (("relations", "entity", "micro"), _rel_nd),
    "spans.strict.per_layer.actors.f1": (("spans", "strict", "per_layer", "actors"), _span_nd),
    "spans.strict.per_layer.quotes.f1": (("spans", "strict", "per_layer", "quotes"), _span_nd),
    "quotes.content_tokens.f1": (("quotes", "content_tokens"), _tok_nd),
}
MACRO = "spans.strict.macro.f1"


def _at(d: dict, path: tuple[str, ...] | list[str]) -> dict:
    for k in path:
        d = d[k]
    return d


def _point(report: dict, figure: str) -> float | None:
    *path, last = figure.split(".")
    return _at(report, path)[last]


def _f1(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # 2·tp / (pred + gold); an empty-on-both-sides F1 (undefined) counts 0 here, as in a macro mean.
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(2 * num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _figure(sums: np.ndarray, macro: bool) -> np.ndarray:
    """F1 from corpus sums: (..., 2) for a micro figure, (..., label, 2) for a macro average."""
    f1 = _f1(sums[..., 0], sums[..., 1])
    return f1.mean(axis=-1) if macro else f1


@pytest.fixture(scope="module")
def data() -> tuple[list, dict[str, list]]:
    gold = read_documents([GOLD])
    preds = {n: read_documents([PRED / f"{n}.test.jsonl"], predictions=True) for n in SYSTEMS}
    return gold, preds


@pytest.fixture(scope="module")
def reports(data) -> dict[str, dict]:  # noqa: ANN001
    gold, preds = data
    return {n: score(gold, p, n_boot=0).to_dict() for n, p in preds.items()}


@pytest.fixture(scope="module")
def per_doc(data) -> dict[str, dict[str, np.ndarray]]:  # noqa: ANN001
    """system -> figure -> array (doc, 2) of (num, den), or (doc, label, 2) for the macro average."""
    gold, preds = data
    out: dict[str, dict[str, list]] = {}
    for name, pred in preds.items():
        acc: dict[str, list] = {f: [] for f in [*REFERENCED, MACRO]}
        for g, p in zip(gold, pred, strict=True):
            d = score([g], [p], n_boot=0).to_dict()
            for fig, (path, nd) in REFERENCED.items():
                acc[fig].append(nd(_at(d, path)["counts"]))
            acc[MACRO].append([_span_nd(d["spans"]["strict"]["per_label"][lab]["counts"]) for lab in SPAN_LABELS])
        out[name] = {f: np.array(v, dtype=float) for f, v in acc.items()}
    return out


@pytest.fixture(scope="module")
def big(data) -> dict:  # noqa: ANN001
    gold, preds = data
    return compare(gold, {n: preds[n] for n in SYSTEMS}, n_boot=N, n_trials=N, seed=SEED).to_dict()


def _figures(report: dict, system: str) -> dict[str, dict]:
    (comp,) = [c for c in report["comparisons"] if c["system"] == system]
    return {f["figure"]: f for f in comp["figures"]}


def _reference(a: np.ndarray, b: np.ndarray) -> dict:
    """Observed difference, paired-bootstrap differences and the exact randomization statistics of a - b.

    a, b: per-document counts (doc, ...); a weighted sum over documents is a matrix product.
    """
    n, shape = a.shape[0], a.shape[1:]
    fa, fb = a.reshape(n, -1), b.reshape(n, -1)

    def fig(sums: np.ndarray) -> np.ndarray:
        return _figure(sums.reshape(-1, *shape), macro=len(shape) == 2)

    obs = float(fig(fa.sum(axis=0))[0] - fig(fb.sum(axis=0))[0])
    w = np.random.default_rng(7).multinomial(n, [1 / n] * n, size=M).astype(float)  # same draws for both systems
    boot = fig(w @ fa) - fig(w @ fb)
    if n <= EXACT_MAX_DOCS:
        masks = np.array(list(itertools.product((0.0, 1.0), repeat=n)))  # 1: the document's two systems swapped
    else:
        masks = np.random.default_rng(11).integers(0, 2, size=(MASKS, n)).astype(float)
    perm = fig(masks @ fb + (1 - masks) @ fa) - fig(masks @ fa + (1 - masks) @ fb)
    eps = 1e-12
    return {
        "obs": obs,
        "boot": boot,
        "p_bs": float(np.mean(np.abs(boot - boot.mean()) >= abs(obs) - eps)),
        "p_ar": float(np.mean(np.abs(perm) >= abs(obs) - eps)),
        "ar_hits": int(np.sum(np.abs(perm) >= abs(obs) - eps)),
        "ar_draws": None if n <= EXACT_MAX_DOCS else MASKS,
    }


def _p_tolerance(p0: float, n: int, ref_draws: int | None) -> tuple[float, float]:
    """Expected scorer p-value (X + 1) / (N + 1), X ~ Bin(N, p0), and the allowed deviation."""
    mean = (n * p0 + 1) / (n + 1)
    sd = math.sqrt(p0 * (1 - p0) / n)
    ref_sd = math.sqrt(p0 * (1 - p0) / ref_draws) if ref_draws else 0.0
    slack = 0.003 if ref_draws else 0.0  # bootstrap: centring on the scorer's own mean of N draws
    return mean, Z * (sd + ref_sd) + 2 / n + slack


def test_per_document_counts_add_up(data, reports, per_doc):  # noqa: ANN001
    gold, _ = data
    shipped = json.loads((REPO / "results" / "benchmark.json").read_text(encoding="utf-8"))
    assert len(gold) == shipped["data"]["test"]["documents"]
    for name, rep in reports.items():
        for fig, (path, nd) in REFERENCED.items():
            assert tuple(per_doc[name][fig].sum(axis=0)) == nd(_at(rep, path)["counts"]), (name, fig)
            assert float(_figure(per_doc[name][fig].sum(axis=0), macro=False)) == pytest.approx(_point(rep, fig), abs=5e-7), (name, fig)
        lab = per_doc[name][MACRO].sum(axis=0)
        for i, label in enumerate(SPAN_LABELS):
            assert tuple(lab[i]) == _span_nd(rep["spans"]["strict"]["per_label"][label]["counts"]), (name, label)
        # Every schema label has gold items here, so the full-sample macro label set is all six.
        assert rep["spans"]["strict"]["macro"]["labels"] == list(SPAN_LABELS)
        assert float(_figure(per_doc[name][MACRO].sum(axis=0), macro=True)) == pytest.approx(_point(rep, MACRO), abs=5e-7), name


def test_figures_and_diff_are_the_systems_own_points(big, reports):  # noqa: ANN001
    assert [(c["system"], c["baseline"]) for c in big["comparisons"]] == [("spacy", "rules"), ("crf", "rules")]
    assert list(big["systems"]) == list(SYSTEMS)
    for comp in big["comparisons"]:
        assert [f["figure"] for f in comp["figures"]] == COMPARED
        for f in comp["figures"]:
            s, b = _point(reports[comp["system"]], f["figure"]), _point(reports[comp["baseline"]], f["figure"])
            assert (f["system"], f["baseline"]) == (s, b), f["figure"]
            # system and baseline are the reports' six-decimal figures; diff is taken before rounding.
            assert f["diff"] == pytest.approx(s - b, abs=1.01e-6), f["figure"]
            assert f["diff_ci"][0] <= f["diff"] <= f["diff_ci"][1], f["figure"]
    for name in SYSTEMS:
        assert big["systems"][name]["headline"] == reports[name]["headline"] | {
            k: reports[name]["headline"][k] | {"ci": None} for k in ("spans", "relations")
        }


@pytest.mark.parametrize("system", ["spacy", "crf"])
@pytest.mark.parametrize("figure", [*REFERENCED, MACRO])
def test_p_values_and_interval_in_distribution(big, per_doc, system, figure):  # noqa: ANN001
    ref = _reference(per_doc[system][figure], per_doc["rules"][figure])
    got = _figures(big, system)[figure]
    assert got["diff"] == pytest.approx(ref["obs"], abs=1e-9)
    mean, tol = _p_tolerance(ref["p_bs"], N, M)
    assert abs(got["p_bootstrap"] - mean) <= tol, (got["p_bootstrap"], ref["p_bs"])
    mean, tol = _p_tolerance(ref["p_ar"], N, ref["ar_draws"])
    assert abs(got["p_ar"] - mean) <= tol, (got["p_ar"], ref["p_ar"])
    # Each interval end is an empirical quantile of N paired draws: its level in the reference distribution
    # is 0.025 (0.975) give or take sqrt(q(1 - q) / N). An unpaired bootstrap misses this on most figures.
    lo, hi = got["diff_ci"]
    q_sd = math.sqrt(0.025 * 0.975 / N)
    assert abs(float(np.mean(ref["boot"] <= lo)) - 0.025) <= Z * q_sd + 0.004, (lo, np.percentile(ref["boot"], 2.5))
    assert abs(float(np.mean(ref["boot"] < hi)) - 0.975) <= Z * q_sd + 0.004, (hi, np.percentile(ref["boot"], 97.5))


def test_worse_system_is_significant_two_sided(data):  # noqa: ANN001
    # rules is clearly worse than crf; with crf as the baseline, a one-sided "system better" test would give
    # p near 1, the two-sided test a small p.
    gold, preds = data
    rev = compare(gold, {"crf": preds["crf"], "rules": preds["rules"]}, n_boot=N, n_trials=N, seed=SEED).to_dict()
    f = _figures(rev, "rules")["spans.strict.micro.f1"]
    assert f["diff"] < 0 and f["diff_ci"][1] < 0
    assert f["p_bootstrap"] < 0.05 and f["p_ar"] < 0.05


def test_clearly_better_system_gets_the_minimum(big, per_doc):  # noqa: ANN001
    floor = 1 / (N + 1)
    reached = 0
    for figure in REFERENCED:
        ref = _reference(per_doc["crf"][figure], per_doc["rules"][figure])
        if ref["p_bs"] > 0 or ref["ar_hits"] > 2:
            continue
        got = _figures(big, "crf")[figure]
        assert got["p_bootstrap"] == pytest.approx(floor, rel=1e-12), figure
        # Only the identity and the full swap reach |d| (2 of 2^n masks): at most a couple of hits in N trials.
        assert floor <= got["p_ar"] <= 3 * floor + 1e-15, figure
        reached += got["p_ar"] == pytest.approx(floor, rel=1e-12)
    assert reached >= 3


def test_identical_systems(data):  # noqa: ANN001
    gold, preds = data
    r = compare(gold, {"a": preds["crf"], "b": preds["crf"]}, n_boot=200, n_trials=200, seed=3).to_dict()
    for f in r["comparisons"][0]["figures"]:
        # Every statistic equals the observed 0, so every draw counts: p = (N + 1) / (N + 1).
        assert (f["diff"], f["diff_ci"], f["p_bootstrap"], f["p_ar"]) == (0.0, [0.0, 0.0], 1.0, 1.0), f["figure"]


def test_swapping_the_systems(data):  # noqa: ANN001
    gold, preds = data
    kw = {"n_boot": 300, "n_trials": 300, "seed": 11}
    ab = compare(gold, {"rules": preds["rules"], "spacy": preds["spacy"]}, **kw).to_dict()["comparisons"][0]
    ba = compare(gold, {"spacy": preds["spacy"], "rules": preds["rules"]}, **kw).to_dict()["comparisons"][0]
    assert (ab["system"], ab["baseline"]) == (ba["baseline"], ba["system"])
    for x, y in zip(ab["figures"], ba["figures"], strict=True):
        assert (x["system"], x["baseline"]) == (y["baseline"], y["system"])
        assert x["diff"] == pytest.approx(-y["diff"], abs=1e-12)
        assert x["diff_ci"] == pytest.approx([-y["diff_ci"][1], -y["diff_ci"][0]], abs=1e-12)
        # Two-sided statistics on the same draws: the p-values do not move.
        assert (x["p_bootstrap"], x["p_ar"]) == pytest.approx((y["p_bootstrap"], y["p_ar"]), rel=1e-12), x["figure"]


def test_seed_determinism_and_signature(data):  # noqa: ANN001
    gold, preds = data
    systems = {"rules": preds["rules"], "spacy": preds["spacy"]}
    a = compare(gold, systems, n_boot=150, n_trials=120, seed=5).to_dict()
    assert compare(gold, systems, n_boot=150, n_trials=120, seed=5).to_dict() == a
    assert a["signature"].endswith("|boot:150|seed:5|test:paired-bs,ar|trials:120")
    assert "|gold:content-" in a["signature"]
    c = compare(gold, systems, n_boot=150, n_trials=120, seed=6).to_dict()
    assert c["signature"] == a["signature"].replace("|seed:5|", "|seed:6|")
    key = [(f["diff_ci"], f["p_bootstrap"], f["p_ar"]) for f in a["comparisons"][0]["figures"]]
    assert key != [(f["diff_ci"], f["p_bootstrap"], f["p_ar"]) for f in c["comparisons"][0]["figures"]]
    assert [f["diff"] for f in a["comparisons"][0]["figures"]] == [f["diff"] for f in c["comparisons"][0]["figures"]]


def test_compare_cli_json_names_the_gold_file(tmp_path):  # noqa: ANN001
    args = ["compare", "--gold", str(GOLD), "--pred", str(PRED / "rules.test.jsonl"), "--pred", str(PRED / "crf.test.jsonl"),
            "--n-boot", "50", "--n-trials", "40", "--seed", "9", "--format", "json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert set(rep) >= {"signature", "systems", "comparisons"}
    assert "|gold:content-" not in rep["signature"] and rep["signature"].endswith("|seed:9|test:paired-bs,ar|trials:40")
    f = rep["comparisons"][0]["figures"][0]
    assert set(f) == {"figure", "system", "baseline", "diff", "diff_ci", "p_bootstrap", "p_ar"}
    assert min(f["p_bootstrap"], f["p_ar"]) >= 1 / 51 - 1e-12


def test_diff_without_bootstrap(data):  # noqa: ANN001
    gold, preds = data
    f = compare(gold, {"rules": preds["rules"], "crf": preds["crf"]}, n_boot=0, n_trials=50, seed=1).to_dict()["comparisons"][0]
    first = f["figures"][0]
    assert first["p_bootstrap"] is None and first["diff_ci"] is None and first["p_ar"] is not None
    assert first["diff"] == pytest.approx(first["system"] - first["baseline"], abs=1.01e-6)


# ---------------------------------------------------------------------------------------------- agree


@pytest.fixture(scope="module")
def pair() -> tuple[list, list]:
    first = sorted(AGREEMENT.glob("first/*.txt"))
    blind = sorted(AGREEMENT.glob("blind/*.txt"))
    if not first or [p.name for p in first] != [p.name for p in blind]:
        pytest.skip("no paired agreement annotations")
    return [read_source(p) for p in first], [read_source(p) for p in blind]


def _same_entry(got: dict, want: dict, where: str) -> None:
    for k in ("p", "r", "f1", "counts", "flags"):
        assert got[k] == want[k], (where, k)


def test_agree_each_direction_is_score(pair):  # noqa: ANN001
    a, b = pair
    rep = agree(a, b, name_a="first", name_b="blind", n_boot=0).to_dict()
    ab, ba = score(a, b, n_boot=0).to_dict(), score(b, a, n_boot=0).to_dict()
    assert rep["annotations"] == ["first", "blind"] and rep["n_docs"] == len(a)
    assert "|ref:content-" in rep["signature"] and "|gold:" not in rep["signature"]
    assert list(rep["layers"]) == list(LAYERS) and list(rep["relations"]) == list(MODES)
    for layer in LAYERS:
        assert list(rep["layers"][layer]) == list(SCHEMES)
        for scheme in SCHEMES:
            e = rep["layers"][layer][scheme]
            assert list(e) == ["first->blind", "blind->first"]
            _same_entry(e["first->blind"], ab["spans"][scheme]["per_layer"][layer], f"{layer}/{scheme}")
            _same_entry(e["blind->first"], ba["spans"][scheme]["per_layer"][layer], f"{layer}/{scheme}")
    for mode in MODES:
        e = rep["relations"][mode]
        _same_entry(e["first->blind"], ab["relations"][mode]["micro"], mode)
        _same_entry(e["blind->first"], ba["relations"][mode]["micro"], mode)


def test_agree_is_symmetric_where_documented(pair):  # noqa: ANN001
    a, b = pair
    rep = agree(a, b, n_boot=0).to_dict()
    mirror = {"missed": "spurious", "spurious": "missed", "possible": "actual", "actual": "possible",
              "fp": "fn", "fn": "fp", "pred": "gold", "gold": "pred"}
    entries = [(f"{la}/{s}", rep["layers"][la][s]) for la in LAYERS for s in SCHEMES if s != "clitic"]
    entries += [(m, rep["relations"][m]) for m in MODES if m != "entity"]
    for where, e in entries:
        x, y = e["A->B"], e["B->A"]
        assert (x["f1"], x["p"], x["r"]) == (y["f1"], y["r"], y["p"]), where
        assert {mirror.get(k, k): v for k, v in x["counts"].items()} == y["counts"], where


def test_agree_intervals_are_scores_intervals(pair):  # noqa: ANN001
    a, b = pair
    rep = agree(a, b, n_boot=200, seed=17).to_dict()
    ab, ba = score(a, b, n_boot=200, seed=17).to_dict(), score(b, a, n_boot=200, seed=17).to_dict()
    assert rep["signature"].endswith("|boot:200|seed:17")
    for layer in LAYERS:
        assert rep["layers"][layer]["strict"]["A->B"]["ci"] == ab["spans"]["strict"]["per_layer"][layer]["ci"]
        assert rep["layers"][layer]["strict"]["B->A"]["ci"] == ba["spans"]["strict"]["per_layer"][layer]["ci"]
    assert rep["relations"]["entity"]["B->A"]["ci"] == ba["relations"]["entity"]["micro"]["ci"]


def test_agree_refuses_other_documents_and_ignores_order(pair):  # noqa: ANN001
    a, b = pair
    with pytest.raises(InputError, match=rf"same documents.*only in A: {b[-1].id}"):
        agree(a, b[:-1]).to_dict()
    with pytest.raises(InputError, match=rf"same documents.*only in B: {a[0].id}"):
        agree(a[1:], b).to_dict()
    assert agree(a, b[::-1]).to_dict() == agree(a, b).to_dict()


def test_agree_cli_both_directions(pair, tmp_path):  # noqa: ANN001
    a, b = pair
    for name, docs in (("first", a), ("blind", b)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in docs),
                                                encoding="utf-8")
    r = CliRunner().invoke(cli, ["agree", str(tmp_path / "first.jsonl"), str(tmp_path / "blind.jsonl"), "--format", "json",
                                 "--n-boot", "0"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["annotations"] == ["first", "blind"]
    want = agree(a, b, name_a="first", name_b="blind", n_boot=0).to_dict()
    assert rep["layers"] == want["layers"] and rep["relations"] == want["relations"]
