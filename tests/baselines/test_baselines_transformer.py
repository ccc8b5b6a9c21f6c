"""The `transformer` baseline, for real on CPU, with a tiny randomly initialised encoder.

The encoder (WordPiece vocabulary trained on the training fixture with `tokenizers`,
2 layers, hidden size 32) learns little in a few steps; what is tested is the path:
alignment, windows, training with selection on validation, the encoder's span
vectors as features of the attribute and relation classifiers, validator-clean
predictions, save + reload with identical predictions, and the actor head's token
output read back by `import --from hf-ner` (in-process and from the command line).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, run_cli

from ittifaq.baselines.windows import word_windows

torch = pytest.importorskip("torch", reason="needs the transformers extra: pip install torch==2.13.0 -e '.[transformers]'")


def test_windows_cover_every_word_and_overlap():
    lengths = [1, 3, 2, 1, 1, 4, 2, 1, 9, 1, 1]
    wins = word_windows(lengths, budget=6, overlap=2)
    assert wins[0][0] == 0 and wins[-1][1] == len(lengths)
    covered = {w for a, b in wins for w in range(a, b)}
    assert covered == set(range(len(lengths)))
    for (a1, b1), (a2, _b2) in zip(wins, wins[1:], strict=False):
        assert a1 < a2 <= b1  # progress, and no gap
    for a, b in wins:
        assert b - a == 1 or sum(lengths[a:b]) <= 6  # a word longer than the budget sits alone
    assert word_windows([], 6, 2) == []


@pytest.fixture(scope="module")
def splits():
    from ittifaq.evaluate.io.documents import read_documents

    return {s: read_documents([FIXTURES / f"baselines_{s}.jsonl"]) for s in ("train", "validation", "test")}


@pytest.fixture(scope="module")
def tiny(splits, tmp_path_factory) -> Path:
    from ittifaq.baselines.tiny_encoder import build_tiny_encoder

    return build_tiny_encoder(splits["train"], tmp_path_factory.mktemp("enc") / "tiny", vocab_size=600)


@pytest.fixture(scope="module")
def trained(splits, tiny):
    from ittifaq.baselines.transformer import TransformerBaseline

    # span vectors forced on, so every test below runs the attribute and relation steps with them
    model = TransformerBaseline(model=str(tiny), epochs=2, max_length=32, overlap=8, lr=1e-3, span_vectors="on")
    model.train(splits["train"], splits["validation"], progress=False)
    return model


def test_tiny_encoder_is_what_the_issue_asks(tiny):
    config = json.loads((tiny / "config.json").read_text(encoding="utf-8"))
    assert (config["num_hidden_layers"], config["hidden_size"]) == (2, 32)
    assert (tiny / "model.safetensors").is_file() and (tiny / "tokenizer.json").is_file()
    assert not list(tiny.glob("*.bin"))


def test_selection_on_validation_and_params(trained):
    assert [e["epoch"] for e in trained.selection] == [1, 2]
    assert all("validation_f1" in e for e in trained.selection)
    best = max(trained.selection, key=lambda e: e["validation_f1"])["epoch"]
    assert trained.params["chosen_epoch"] == best
    assert trained.params["max_length"] == 32 and trained.params["epochs"] == 2


def test_span_vectors_are_features_of_attributes_and_relations(trained, splits):
    from ittifaq.baselines.features import make_view
    from ittifaq.baselines.linear import _expand
    from ittifaq.baselines.span_vectors import pooler

    choice = trained.params["span_vectors"]
    assert choice["mode"] == "on" and choice["attributes"] and choice["relations"] and choice["dims"] >= 1
    assert {"without", "with"} <= set(choice["relations_validation"])
    # the classifiers learned weights on the dense features, next to the sparse ones
    for clf, prefixes in [*((c, ("sv",)) for c in trained.attributes.models.values() if len(c.classes) > 1),
                          *((c, ("hv", "tv", "pv")) for c in trained.relations.models.values() if len(c.classes) > 1)]:
        for prefix in prefixes:
            cols = [j for name, j in clf.vocab.items() if name.startswith(prefix)]
            assert len(cols) == trained.projection.dims and abs(clf.coef[:, cols]).sum() > 0
        assert any(name[:2] not in ("sv", "hv", "tv", "pv") for name in clf.vocab)
    # and prediction feeds them: the span's features are its projected, pooled word vectors
    doc = splits["test"][0]
    view, found, vectors = trained._found(doc)
    assert vectors.shape == (len(view.words), trained._tagger.encoder.config.hidden_size)
    a, b = view.tokens[0][0], view.tokens[2][1]
    dense = _expand(trained.projection.span_features(pooler(view, vectors))(a, b))
    assert len(dense) == trained.projection.dims and any(v != 0 for v in dense.values())
    assert make_view(doc.text, frozenset(trained.lexicon)).words == view.words


def test_span_vectors_chosen_on_validation(trained, splits):
    import copy

    from ittifaq.baselines.features import gold_view

    model = copy.copy(trained)
    model.options = {**trained.options, "span_vectors": "auto"}
    lex = frozenset(model.lexicon)
    choice = model._train_shared_steps(splits["train"], [gold_view(d, lex) for d in splits["train"]],
                                       splits["validation"], lex)
    for step in ("attributes", "relations"):
        figures = choice[f"{step}_validation"]
        assert choice[step] == (figures["with"] > figures["without"]) == model.use_vectors[step]
    assert trained.use_vectors == {"attributes": True, "relations": True}  # the copy's choice left it alone
    off = copy.copy(trained)
    off.options = {**trained.options, "span_vectors": "off"}
    choice = off._train_shared_steps(splits["train"], [gold_view(d, lex) for d in splits["train"]], [], lex)
    assert not choice["attributes"] and not choice["relations"]


def test_long_document_goes_through_overlapping_windows(trained, splits):
    from ittifaq.baselines import token_model as tm
    from ittifaq.baselines.features import make_view

    doc = max(splits["test"], key=lambda d: len(d.text or ""))
    view = make_view(doc.text or "", frozenset(trained.lexicon))
    windows = tm.Windows(trained._tokenizer, view.words, 32, 8)
    assert len(windows.spans) > 1
    assert all(len(x) <= 32 for x in windows.inputs)
    firsts = {w for f in windows.firsts for _, w in f}
    assert firsts == set(range(len(view.words)))  # every word's first subword is in some window


def test_predictions_are_validator_clean(trained, splits):
    from ittifaq.baselines.interface import prediction_record
    from ittifaq.evaluate.io.validation import check_record

    preds = trained.predict(splits["test"])
    assert [p.id for p in preds] == [d.id for d in splits["test"]]
    for p in preds:
        assert check_record(prediction_record(p), predictions=True) == []


def test_save_and_reload_give_identical_predictions(trained, splits, tmp_path):
    from ittifaq.baselines.interface import load_model, prediction_record

    trained.save(tmp_path / "m")
    assert (tmp_path / "m" / "encoder" / "model.safetensors").is_file()
    assert (tmp_path / "m" / "heads.safetensors").is_file()
    assert not [p for p in (tmp_path / "m").rglob("*") if p.suffix in (".bin", ".pt", ".pkl", ".pickle")]
    meta = json.loads((tmp_path / "m" / "transformer.json").read_text(encoding="utf-8"))
    assert meta["span_vectors"] == {"attributes": True, "relations": True}
    assert (tmp_path / "m" / "span_vectors.json").is_file()
    again = load_model(tmp_path / "m")
    assert again.use_vectors == trained.use_vectors and again.projection.dims == trained.projection.dims
    before = [prediction_record(p) for p in trained.predict(splits["test"])]
    after = [prediction_record(p) for p in again.predict(splits["test"])]
    assert before == after
    assert sum(len(p["relations"]) for p in before) + sum(len(p["spans"]) for p in before) > 0


def test_token_output_imports_back_with_hf_ner(trained, splits, tmp_path):
    import orjson

    from ittifaq.evaluate.formats.hf_ner import read_hf_ner
    from ittifaq.evaluate.formats.iob import ImportSummary, decode_iob2
    from ittifaq.evaluate.schema import ACTOR_LABELS

    docs = splits["test"]
    rows = trained.token_rows(docs)
    (tmp_path / "rows.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    summary = ImportSummary()
    back = read_hf_ner(tmp_path / "rows.jsonl", {d.id: d.text for d in docs}, summary)
    assert [d.id for d in back] == [d.id for d in docs]
    for row, doc in zip(rows, back, strict=True):
        assert len(doc.spans) == len(decode_iob2(row["ner_tags"]))
        assert all(s.label in ACTOR_LABELS and s.text == doc.text[s.start : s.end] for s in doc.spans)
    # the model's own actor spans (read leniently, as `crf` reads its tags) hold every span the
    # strict import keeps, and are the same when no orphan I- tag had to be dropped
    own = trained._predict_spans_only(docs)
    for mine, doc in zip(own, back, strict=True):
        lenient = {(s.start, s.end, s.label) for s in mine.spans if s.label in ACTOR_LABELS}
        strict = {(s.start, s.end, s.label) for s in doc.spans}
        assert strict <= lenient
        assert strict == lenient or summary.dropped_i


def test_predict_command_writes_token_rows_for_hf_ner_import(trained, tmp_path):
    from click.testing import CliRunner

    from ittifaq.evaluate.cli import cli
    from ittifaq.evaluate.io.documents import read_documents

    trained.save(tmp_path / "m")
    test = str(FIXTURES / "baselines_test.jsonl")
    runner = CliRunner()
    res = runner.invoke(cli, ["baseline", "predict", "transformer", "--model", str(tmp_path / "m"), "--in", test,
                              "--out", str(tmp_path / "p.jsonl"), "--token-rows", str(tmp_path / "rows.jsonl"), "--quiet"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == trained.token_rows(read_documents([FIXTURES / "baselines_test.jsonl"]))
    res = runner.invoke(cli, ["import", "--from", "hf-ner", "--text", test, str(tmp_path / "rows.jsonl"),
                              str(tmp_path / "imported.jsonl")])
    assert res.exit_code == 0, res.output
    imported = [json.loads(line) for line in (tmp_path / "imported.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in imported] == [r["document_id"] for r in rows]
    res = runner.invoke(cli, ["baseline", "predict", "crf", "--model", str(tmp_path / "m"), "--in", test,
                              "--out", str(tmp_path / "x.jsonl"), "--token-rows", str(tmp_path / "y.jsonl")])
    assert res.exit_code == 2 and "transformer only" in res.output


@pytest.mark.slow
def test_transformer_needs_a_model():
    res = run_cli("baseline", "train", "transformer", "--quiet")
    assert res.returncode == 2 and "--model" in res.stderr
    res = run_cli("baseline", "train", "crf", "--epochs", "2")
    assert res.returncode == 2 and "transformer only" in res.stderr


@pytest.mark.slow
def test_commands_train_predict_annotate_and_benchmark(tiny, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "validation", "test"):
        shutil.copy(FIXTURES / f"baselines_{split}.jsonl", data / f"{split}.jsonl")
    common = ["--model", str(tiny), "--epochs", "1", "--max-length", "32", "--quiet"]
    res = run_cli("baseline", "train", "transformer", "--data", str(data), "--out", str(tmp_path / "m"), *common)
    assert res.returncode == 0, res.stderr
    res = run_cli("baseline", "predict", "transformer", "--model", str(tmp_path / "m"), "--in", str(data / "test.jsonl"),
                  "--out", str(tmp_path / "p.jsonl"), "--quiet")
    assert res.returncode == 0, res.stderr
    res = run_cli("annotate", "--model", str(tmp_path / "m"), "وقال المتحدث إن مصر والأردن وقعتا الاتفاق في عمان.")
    assert res.returncode == 0 and json.loads(res.stdout)["id"] == "doc-1", res.stderr
    res = run_cli("benchmark", "--data", str(data), "--out", str(tmp_path / "r"), "--models", str(tmp_path / "models"),
                  "--systems", "rules,transformer", "--n-boot", "10", *common)
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "r" / "benchmark.json").read_text(encoding="utf-8"))
    assert list(result["systems"]) == ["rules", "transformer"]
    assert result["meta"]["transformer"]["params"]["model"] == str(tiny)
    assert "transformer" in (tmp_path / "r" / "benchmark.md").read_text(encoding="utf-8")
    assert (tmp_path / "r" / "predictions" / "transformer.test.jsonl").is_file()
    # its token output, through the CLI, into a prediction file the scorer accepts
    res = run_cli("baseline", "predict", "transformer", "--model", str(tmp_path / "m"), "--in", str(data / "test.jsonl"),
                  "--out", str(tmp_path / "p2.jsonl"), "--token-rows", str(tmp_path / "rows.jsonl"), "--quiet")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "p2.jsonl").read_bytes() == (tmp_path / "p.jsonl").read_bytes()
    res = run_cli("import", "--from", "hf-ner", "--text", str(data / "test.jsonl"), str(tmp_path / "rows.jsonl"),
                  str(tmp_path / "imported.jsonl"))
    assert res.returncode == 0 and "orphan I- tag(s) dropped" in res.stderr, res.stderr
    res = run_cli("score", "--gold", str(data / "test.jsonl"), "--pred", str(tmp_path / "imported.jsonl"), "--n-boot", "0")
    assert res.returncode == 0, res.stderr
    if not torch.cuda.is_available():  # --device reaches the model: asking for a missing GPU is a clean error
        res = run_cli("annotate", "--model", str(tmp_path / "m"), "--device", "cuda", "نص قصير.")
        assert res.returncode == 2 and "CUDA" in res.stderr and "Traceback" not in res.stderr, res.stderr
