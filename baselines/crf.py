"""The `crf` baseline: one linear-chain CRF (sklearn-crfsuite) per span layer, plus shared attribute and relation steps.

Layers overlap (an actor inside an agreement, an agreement inside a quote), so there
is one IOB2 tagger per layer: actors (PER/ORG/GPE), AGREEMENT, QUOTE, CUE. Where one
layer has nested gold spans (an ORG inside an ORG) the longest is trained on and the
number left out is recorded in the manifest (`params.nested_left_out`).

Token features (features.token_features): the normalized word; prefixes and suffixes
of 1-3 letters (proclitic/article and case/gender endings); whether it starts with ال;
shape (arabic / Latin / Latin-cap / digit / punct / quote mark); length; the training
gazetteer's BIO tag (computed leave-one-document-out on training data, so the tagger
does not learn to trust a gazetteer that is perfect only on its own training text);
cue-lexicon, agreement-trigger and complementizer (أن/إن) hits; whether the token is
inside quotation marks; sentence-initial flag and position bucket; distance buckets
since the last cue and the last complementizer in the sentence; and a ±2 window of
words, gazetteer tags and shapes (±1 also lexicon hits and 2-letter suffixes).

Training: L-BFGS, 100 iterations, all transitions; (c1, c2) chosen per layer from
GRID by that layer's strict F1 on the validation split. Models are crfsuite files.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pycrfsuite
import sklearn_crfsuite
from tqdm.auto import tqdm

from ittifaq.baselines.attributes import AttributeModel
from ittifaq.baselines.features import (
    LAYER_NAMES,
    Gazetteer,
    TokenView,
    gold_view,
    layer_spans,
    make_view,
    token_features,
    tokenizer_lexicon,
)
from ittifaq.baselines.interface import SEED, Baseline, RawSpan, build_prediction
from ittifaq.baselines.relations import RelationModel
from ittifaq.baselines.selection import layer_f1
from ittifaq.evaluate.io.atomic import write_bytes_atomic, write_text_atomic
from ittifaq.evaluate.schema import LAYERS, Document, Span
from ittifaq.evaluate.text.tokenize import bio_tags, spans_from_bio

GRID: tuple[tuple[float, float], ...] = ((0.05, 0.01), (0.1, 0.05), (0.3, 0.1))
MAX_ITERATIONS = 100


def _fit(xs: list, ys: list, c1: float, c2: float) -> bytes:
    """Train one CRF and return its crfsuite model file."""
    with tempfile.TemporaryDirectory(prefix="ittifaq-crf-") as tmp:
        path = str(Path(tmp) / "model.crfsuite")
        crf = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=c1,
            c2=c2,
            max_iterations=MAX_ITERATIONS,
            all_possible_transitions=True,
            model_filename=path,
        )
        crf.fit(xs, ys)
        return Path(path).read_bytes()


def _tagger(model: bytes) -> pycrfsuite.Tagger:
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model)
    return tagger


class CrfBaseline(Baseline):
    name = "crf"

    def __init__(self) -> None:
        super().__init__()
        self.lexicon: list[str] = []
        self.gazetteer = Gazetteer()
        self.models: dict[str, bytes] = {}
        self._taggers: dict[str, pycrfsuite.Tagger] = {}
        self.attributes = AttributeModel()
        self.relations = RelationModel()

    # training -----------------------------------------------------------------------------
    def train(self, train: list[Document], validation: list[Document] | None = None, progress: bool = True) -> None:
        self.lexicon = tokenizer_lexicon(train)
        lex = frozenset(self.lexicon)
        self.gazetteer = Gazetteer.build(train, lex)
        views = [gold_view(d, lex) for d in train]
        xs = [token_features(v, self.gazetteer.tags(v, exclude_doc=d.id)) for d, v in zip(train, views, strict=True)]
        nested: dict[str, int] = {}
        ys: dict[str, list[list[str]]] = {}
        for layer in LAYER_NAMES:
            ys[layer] = []
            nested[layer] = 0
            for d, v in zip(train, views, strict=True):
                spans, dropped = layer_spans(d, layer)
                nested[layer] += dropped
                ys[layer].append(bio_tags(v.tokens, spans))
        val_views = [make_view(d.text or "", lex) for d in validation or []]
        val_xs = [token_features(v, self.gazetteer.tags(v)) for v in val_views]
        grid = GRID if validation else GRID[1:2]
        self.models, self._taggers, self.selection = {}, {}, []
        chosen: dict[str, list[float]] = {}
        steps = tqdm(total=len(LAYER_NAMES) * len(grid), desc="crf: train layers", disable=not progress)
        for layer in LAYER_NAMES:
            best: tuple[float, bytes | None, tuple[float, float]] = (-1.0, None, grid[0])
            for c1, c2 in grid:
                model = _fit(xs, ys[layer], c1, c2)
                f1 = None
                if validation:
                    tagger = _tagger(model)
                    pred = [
                        Document(id=d.id, text=d.text, spans=self._layer_spans(tagger, v, x))
                        for d, v, x in zip(validation, val_views, val_xs, strict=True)
                    ]
                    f1 = layer_f1(validation, pred, LAYERS[layer])
                    self.selection.append({"layer": layer, "c1": c1, "c2": c2, "validation_f1": f1})
                if best[1] is None or (f1 is not None and f1 > best[0]):
                    best = (f1 if f1 is not None else 0.0, model, (c1, c2))
                steps.update()
            assert best[1] is not None
            self.models[layer] = best[1]
            chosen[layer] = list(best[2])
        steps.close()
        train_pairs = list(zip(train, views, strict=True))
        self.attributes = AttributeModel.train(train_pairs, seed=SEED)
        self.relations = RelationModel.train(train_pairs, seed=SEED)
        self.params = {
            "c1_c2": chosen,
            "max_iterations": MAX_ITERATIONS,
            "nested_left_out": nested,
            "relation_candidates": self.relations.stats,
        }

    @staticmethod
    def _layer_spans(tagger: pycrfsuite.Tagger, view: TokenView, x: list) -> list[Span]:
        tags = tagger.tag(x) if x else []
        return [
            Span(id=f"T{k + 1}", start=a, end=b, text=view.text[a:b], label=lab)
            for k, (a, b, lab) in enumerate(spans_from_bio(view.tokens, tags))
        ]

    # persistence --------------------------------------------------------------------------
    def _save_files(self, directory: Path) -> None:
        for layer, model in self.models.items():
            write_bytes_atomic(directory / f"crf_{layer}.crfsuite", model)
        data = {"lexicon": self.lexicon, "gazetteer": self.gazetteer.to_json(), "layers": sorted(self.models)}
        write_text_atomic(directory / "crf.json", json.dumps(data, ensure_ascii=False))
        self.attributes.save(directory)
        self.relations.save(directory)

    def _load_files(self, directory: Path) -> None:
        data = json.loads((directory / "crf.json").read_text(encoding="utf-8"))
        self.lexicon = list(data["lexicon"])
        self.gazetteer = Gazetteer.from_json(data["gazetteer"])
        self.models = {layer: (directory / f"crf_{layer}.crfsuite").read_bytes() for layer in data["layers"]}
        self._taggers = {}
        self.attributes = AttributeModel.load(directory)
        self.relations = RelationModel.load(directory)

    # prediction ---------------------------------------------------------------------------
    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        lex = frozenset(self.lexicon)
        for layer, model in self.models.items():
            if layer not in self._taggers:
                self._taggers[layer] = _tagger(model)
        out = []
        for doc in tqdm(docs, desc="crf: predict", disable=not progress):
            view = make_view(doc.text or "", lex)
            x = token_features(view, self.gazetteer.tags(view))
            found: list[tuple[int, int, str]] = []
            for layer in LAYER_NAMES:
                if layer in self._taggers and x:
                    found.extend(spans_from_bio(view.tokens, self._taggers[layer].tag(x)))
            out.append(predict_with_shared_steps(doc, view, found, self.attributes, self.relations))
        return out


def predict_with_shared_steps(
    doc: Document,
    view: TokenView,
    found: list[tuple[int, int, str]],
    attributes: AttributeModel,
    relations: RelationModel,
) -> Document:
    """Attributes and relations for tagger output, then the prediction document."""
    found = sorted(set(found))
    spans: list[RawSpan] = [(a, b, lab, attributes.predict(view, a, b, lab)) for a, b, lab in found]
    rels = relations.predict(view, found)
    return build_prediction(doc, spans, rels)
