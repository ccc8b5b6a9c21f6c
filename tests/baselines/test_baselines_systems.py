"""Each baseline trains on the tiny fixture, predicts valid records, and reloads to identical predictions."""

from __future__ import annotations

import numpy as np
import pytest
from support import FIXTURES

from ittifaq.baselines.interface import load_model, prediction_record, system_class
from ittifaq.evaluate.io.documents import read_documents
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.validation import check_record

OPTIONS = {"spacy": {"max_epochs": 4}}


def _split(name: str):
    return read_documents([FIXTURES / f"baselines_{name}.jsonl"])


@pytest.fixture(scope="module")
def data():
    return {s: _split(s) for s in ("train", "validation", "test")}


@pytest.fixture(scope="module", params=["rules", "crf", "spacy"])
def trained(request, data, tmp_path_factory):
    name = request.param
    model = system_class(name)(**OPTIONS.get(name, {}))
    model.train(data["train"], data["validation"], progress=False)
    folder = tmp_path_factory.mktemp(f"model-{name}")
    model.save(folder)
    return name, model, folder


def test_predictions_pass_the_validator(trained, data):
    name, model, _ = trained
    preds = model.predict(data["test"])
    assert [p.id for p in preds] == [d.id for d in data["test"]]
    for pred, gold in zip(preds, data["test"], strict=True):
        record = prediction_record(pred)
        assert record["text"] == gold.text
        assert check_record(record, predictions=True) == [], name
        for span in pred.spans:
            assert gold.text[span.start : span.end] == span.text


def test_save_then_load_gives_identical_predictions(trained, data):
    name, model, folder = trained
    loaded = load_model(folder)
    assert type(loaded) is type(model)
    docs = data["test"] + data["validation"]
    before = [prediction_record(p) for p in model.predict(docs)]
    after = [prediction_record(p) for p in loaded.predict(docs)]
    assert before == after
    assert loaded.params == model.params


def test_saved_model_holds_no_pickle(trained):
    _, _, folder = trained
    for path in folder.rglob("*"):
        assert path.suffix not in {".pkl", ".pickle", ".joblib"}
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                assert all(arrays[k].dtype != object for k in arrays.files)


def test_training_twice_repeats_exactly(data):
    preds = []
    for _ in range(2):
        model = system_class("crf")()
        model.train(data["train"], data["validation"], progress=False)
        preds.append([prediction_record(p) for p in model.predict(data["test"])])
    assert preds[0] == preds[1]


def test_rules_and_crf_find_the_seen_actors(data):
    for name in ("rules", "crf"):
        model = system_class(name)()
        model.train(data["train"], data["validation"], progress=False)
        (pred,) = model.predict([data["test"][0]])
        found = {(s.text, s.label) for s in pred.spans}
        assert ("يوسف عمر", "PER") in found, name
        assert ("مركز القرن للدراسات", "ORG") in found, name


def test_loading_a_non_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="not a trained baseline folder"):
        load_model(tmp_path)
    (tmp_path / "baseline.json").write_text('{"system": "nope"}', encoding="utf-8")
    with pytest.raises(InputError, match="system must be one of"):
        load_model(tmp_path)


def test_loading_with_the_wrong_class_is_refused(trained):
    name, _, folder = trained
    other = "crf" if name != "crf" else "rules"
    with pytest.raises(InputError, match=f"is a '{name}' model"):
        system_class(other).load(folder)
