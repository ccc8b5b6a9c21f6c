"""The `transformer` baseline: fine-tune any HuggingFace encoder to tag the four span layers.

Spans: one shared encoder, one IOB2 token-classification head per layer (actors,
agreements, quotes, cues), trained jointly (the sum of the four losses) over the
project's proclitic-split words (`features.make_view`, the same words as `crf`),
aligned to subwords and cut into overlapping windows (`token_model`). Like `crf`, a
layer whose gold spans nest (an ORG inside an ORG) is trained on its longest spans;
the number left out is recorded (`params.nested_left_out`).

Attributes and relations: the shared steps of `crf` and `spacy` (logistic regressions
over span and pair features, `attributes.AttributeModel`, `relations.RelationModel`),
run on the encoder's spans, with the encoder's pooled span vectors as extra dense
features (`span_vectors`: the mean of the span's word vectors, taken from the same
windowed pass that tags, reduced by a whitened PCA fitted on training spans). Whether
the vectors are used is chosen per step on the validation split (attribute accuracy
and relation F1 on its gold spans; a tie or no validation split keeps them out) and
saved in `transformer.json` (`span_vectors`).

Selection: the number of epochs, by strict span micro F1 on the validation split
after each epoch (the test split is never seen). Seeds are fixed. A saved model is
`encoder/` (the fine-tuned encoder and its tokenizer, `save_pretrained`, safetensors
and JSON), `heads.safetensors`, `transformer.json` and the shared steps' JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ittifaq.baselines.attributes import AttributeModel
from ittifaq.baselines.features import (
    LAYER_NAMES,
    TokenView,
    gold_view,
    layer_spans,
    make_view,
    tokenizer_lexicon,
)
from ittifaq.baselines.interface import SEED, Baseline, RawSpan, build_prediction
from ittifaq.baselines.relations import RelationModel
from ittifaq.baselines.selection import layer_f1
from ittifaq.baselines.span_vectors import Pooler, SpanProjection, pooler, span_table, table_pooler
from ittifaq.evaluate.io.atomic import write_bytes_atomic, write_text_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.staged import write_dir_staged
from ittifaq.evaluate.schema import ATTRIBUTES, LAYERS, SPAN_LABELS, Document
from ittifaq.evaluate.text.tokenize import bio_tags, spans_from_bio

#: Tag names of each layer's head ("O" first: a word the encoder never saw is tagged O).
TAGS: dict[str, tuple[str, ...]] = {
    layer: ("O",) + tuple(f"{p}-{lab}" for lab in LAYERS[layer] for p in ("B", "I")) for layer in LAYER_NAMES
}
#: The steps that may take the encoder's span vectors.
VECTOR_STEPS = ("attributes", "relations")


def _token_model() -> Any:
    """`baselines.token_model`, or an error saying which extra to install."""
    try:
        from ittifaq.baselines import token_model
    except ModuleNotFoundError as exc:
        raise InputError(f"the transformer baseline needs {exc.name}: pip install \"ittifaq[transformers]\" "
                         "(on a CPU-only machine, pip install torch==2.13.0 first takes the CPU build)") from None
    return token_model


DEFAULTS: dict[str, Any] = {"epochs": 3, "lr": 5e-5, "batch_size": 8, "max_length": 256, "overlap": 64,
                             "span_vectors": "auto"}
#: `span_vectors`: auto (chosen per step on validation), on (always), off (never).
SPAN_VECTOR_MODES = ("auto", "on", "off")


class TransformerBaseline(Baseline):
    name = "transformer"

    def __init__(self, model: str | None = None, device: str = "cpu", **options: Any) -> None:
        super().__init__()
        unknown = set(options) - set(DEFAULTS)
        if unknown:
            raise InputError(f"transformer: unknown option(s) {', '.join(sorted(unknown))}")
        self.base_model = model
        self.device = device
        self.options = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
        if self.options["span_vectors"] not in SPAN_VECTOR_MODES:
            raise InputError(f"transformer: span_vectors must be one of {', '.join(SPAN_VECTOR_MODES)}")
        self.lexicon: list[str] = []
        self.attributes = AttributeModel()
        self.relations = RelationModel()
        self._tagger: Any = None
        self._tokenizer: Any = None
        self.projection: SpanProjection | None = None
        self.use_vectors: dict[str, bool] = dict.fromkeys(VECTOR_STEPS, False)

    # training -----------------------------------------------------------------------------
    def train(self, train: list[Document], validation: list[Document] | None = None, progress: bool = True) -> None:
        tm = _token_model()
        if not self.base_model:
            raise InputError("the transformer baseline needs --model NAME_OR_PATH (a HuggingFace encoder)")
        device = tm.check_device(self.device)
        tm.torch.manual_seed(SEED)
        self._tokenizer, encoder = tm.load_encoder(self.base_model)
        self._tagger = tm.TokenTagger(encoder, {layer: len(tags) for layer, tags in TAGS.items()})
        limits = [x for x in (self._tokenizer.model_max_length, getattr(encoder.config, "max_position_embeddings", None))
                  if isinstance(x, int) and 0 < x < 100_000]
        if limits and self.options["max_length"] > min(limits):  # the encoder cannot take longer windows
            self.options["max_length"] = min(limits)
        self.lexicon = tokenizer_lexicon(train)
        lex = frozenset(self.lexicon)
        o = self.options
        examples = []
        nested = dict.fromkeys(LAYER_NAMES, 0)
        views = [gold_view(d, lex) for d in train]
        for d, v in zip(train, views, strict=True):
            tags: dict[str, list[int]] = {}
            for layer in LAYER_NAMES:
                spans, dropped = layer_spans(d, layer)
                nested[layer] += dropped
                index = {t: i for i, t in enumerate(TAGS[layer])}
                tags[layer] = [index[t] for t in bio_tags(v.tokens, spans)]
            examples.append((tm.Windows(self._tokenizer, v.words, o["max_length"], o["overlap"]), tags))

        def evaluate(epoch: int) -> float:
            assert validation is not None
            return layer_f1(validation, self._predict_spans_only(validation), SPAN_LABELS)

        chosen, log = tm.train_tagger(
            self._tagger, examples, pad_id=self._pad_id(), epochs=int(o["epochs"]), lr=float(o["lr"]),
            batch_size=int(o["batch_size"]), seed=SEED, device=device,
            evaluate=evaluate if validation else None, progress=progress,
        )
        self.selection = log
        vector_choice = self._train_shared_steps(train, views, validation or [], lex)
        self.params = {
            "model": str(self.base_model),
            "chosen_epoch": chosen,
            **{k: o[k] for k in DEFAULTS},
            "device": self.device,
            "nested_left_out": nested,
            "relation_candidates": self.relations.stats,
            "span_vectors": vector_choice,
        }

    def _train_shared_steps(self, train: list[Document], views: list[TokenView], validation: list[Document],
                            lex: frozenset[str]) -> dict[str, Any]:
        """Attribute and relation classifiers, each with and without the span vectors; keep the
        variant that does better on the validation split's gold spans (without, on a tie), or the
        one `span_vectors` on/off asks for."""
        mode = self.options["span_vectors"]
        pairs = list(zip(train, views, strict=True))
        plain = {"attributes": AttributeModel.train(pairs, seed=SEED), "relations": RelationModel.train(pairs, seed=SEED)}
        self.use_vectors = dict.fromkeys(VECTOR_STEPS, False)
        self.attributes, self.relations = plain["attributes"], plain["relations"]
        self.projection = None
        choice: dict[str, Any] = {"mode": mode, "dims": 0, **dict.fromkeys(VECTOR_STEPS, False)}
        if mode == "off" or (mode == "auto" and not validation):
            return choice
        tables = self._gold_tables(train, views)
        train_pool = [table_pooler(t) for t in tables]
        rows = [v for t in tables for v in t.values()]
        self.projection = proj = SpanProjection.fit(np.stack(rows) if rows else np.zeros((0, 0)), seed=SEED)
        if proj is None:
            return choice
        choice["dims"] = proj.dims
        with_vectors = {
            "attributes": AttributeModel.train(pairs, seed=SEED, span_features=[proj.span_features(p) for p in train_pool]),
            "relations": RelationModel.train(pairs, seed=SEED, pair_features=[proj.pair_features(p) for p in train_pool]),
        }
        val_views = [gold_view(d, lex) for d in validation]
        val_vecs = [table_pooler(t) for t in self._gold_tables(validation, val_views)]
        for step in VECTOR_STEPS:
            use = mode == "on"
            if validation:
                score = _attribute_accuracy if step == "attributes" else _relation_f1
                without = score(plain[step], validation, val_views, None)
                with_ = score(with_vectors[step], validation, val_views, (proj, val_vecs))
                use = use or with_ > without
                choice[f"{step}_validation"] = {"without": round(without, 4), "with": round(with_, 4)}
            choice[step] = use
            self.use_vectors[step] = use
        if self.use_vectors["attributes"]:
            self.attributes = with_vectors["attributes"]
        if self.use_vectors["relations"]:
            self.relations = with_vectors["relations"]
        return choice

    def _gold_tables(self, docs: list[Document], views: list[TokenView]) -> list[dict[tuple[int, int], np.ndarray]]:
        """Per document, the pooled vectors of its gold spans (only those are kept in memory)."""
        return [span_table(view, self._tag_and_embed(view.words)[1], [(s.start, s.end) for s in doc.spans])
                for doc, view in zip(docs, views, strict=True)]

    def _pad_id(self) -> int:
        pad = self._tokenizer.pad_token_id
        return int(pad if pad is not None else 0)

    # prediction ---------------------------------------------------------------------------
    def _tag_and_embed(self, words: list[str]) -> tuple[dict[str, list[str]], np.ndarray]:
        """Each layer's tag per word (the most probable, averaged over windows) and each word's
        vector, in one windowed pass."""
        tm = _token_model()
        hidden = int(self._tagger.encoder.config.hidden_size)
        if not words:
            return {layer: [] for layer in LAYER_NAMES}, np.zeros((0, hidden))
        o = self.options
        windows = tm.Windows(self._tokenizer, words, o["max_length"], o["overlap"])
        probs, vectors = tm.tag_and_embed(self._tagger, windows, self._pad_id(), int(o["batch_size"]),
                                          tm.check_device(self.device))
        return {layer: [TAGS[layer][int(k)] for k in p.argmax(-1)] for layer, p in probs.items()}, vectors

    def _layer_tags(self, words: list[str]) -> dict[str, list[str]]:
        return self._tag_and_embed(words)[0]

    def _analyse(self, doc: Document) -> tuple[TokenView, dict[str, list[str]], list[tuple[int, int, str]], np.ndarray]:
        """The document's view, each layer's word tags, the spans they give and the word vectors."""
        view = make_view(doc.text or "", frozenset(self.lexicon))
        tags, vectors = self._tag_and_embed(view.words)
        found: list[tuple[int, int, str]] = []
        for layer_tags in tags.values():
            found += spans_from_bio(view.tokens, layer_tags)
        return view, tags, found, vectors

    def _found(self, doc: Document) -> tuple[TokenView, list[tuple[int, int, str]], np.ndarray]:
        view, _, found, vectors = self._analyse(doc)
        return view, found, vectors

    def _predict_spans_only(self, docs: list[Document]) -> list[Document]:
        from ittifaq.evaluate.schema import Span

        out = []
        for doc in docs:
            view, found, _ = self._found(doc)
            text = doc.text or ""
            spans = [Span(id=f"T{k + 1}", start=a, end=b, text=text[a:b], label=lab)
                     for k, (a, b, lab) in enumerate(sorted(set(found)))]
            out.append(Document(id=doc.id, text=text, spans=spans))
        return out

    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        return self.predict_with_rows(docs, progress)[0]

    def predict_with_rows(self, docs: list[Document], progress: bool = False) -> tuple[list[Document], list[dict[str, Any]]]:
        """Predictions and the actor head's token rows (`token_rows`), from one pass over each document."""
        from tqdm.auto import tqdm

        out, rows = [], []
        for doc in tqdm(docs, desc="transformer: predict", disable=not progress):
            view, tags, found, vectors = self._analyse(doc)
            out.append(self._shared_steps(doc, view, sorted(set(found)), vectors))
            rows.append(_token_row(doc, view, tags))
        return out, rows

    def _shared_steps(self, doc: Document, view: TokenView, found: list[tuple[int, int, str]],
                      vectors: np.ndarray) -> Document:
        """Attributes and relations of the found spans (with the span vectors where chosen)."""
        proj = self.projection
        span_f = proj.span_features(pooler(view, vectors)) if proj and self.use_vectors["attributes"] else None
        pair_f = proj.pair_features(pooler(view, vectors)) if proj and self.use_vectors["relations"] else None
        spans: list[RawSpan] = [(a, b, lab, self.attributes.predict(view, a, b, lab, span_f)) for a, b, lab in found]
        return build_prediction(doc, spans, self.relations.predict(view, found, pair_f))

    def set_device(self, device: str) -> None:
        """Run prediction on `device` (cpu or cuda) from now on."""
        tm = _token_model()
        tm.check_device(device)
        self.device = device

    def token_rows(self, docs: list[Document]) -> list[dict[str, Any]]:
        """The actor head's output in the `ner` config's layout (one row per document), as a
        token classifier would write it: what `ittifaq import --from hf-ner` reads back."""
        rows = []
        for doc in docs:
            view, tags, _, _ = self._analyse(doc)
            rows.append(_token_row(doc, view, tags))
        return rows

    # persistence --------------------------------------------------------------------------
    def _save_files(self, directory: Path) -> None:
        if self._tagger is None:
            raise InputError("transformer: nothing to save (train or load a model first)")
        from safetensors.torch import save

        def write_encoder(tmp: Path) -> None:
            self._tagger.encoder.save_pretrained(tmp)
            self._tokenizer.save_pretrained(tmp)

        write_dir_staged(directory / "encoder", write_encoder, "baseline train transformer")
        write_bytes_atomic(directory / "heads.safetensors", save(self._tagger.head_state()))
        meta = {"lexicon": self.lexicon, "tags": TAGS, "options": self.options, "base_model": self.base_model,
                "span_vectors": self.use_vectors}
        write_text_atomic(directory / "transformer.json", json.dumps(meta, ensure_ascii=False))
        if self.projection is not None:
            self.projection.save(directory)
        self.attributes.save(directory)
        self.relations.save(directory)

    def _load_files(self, directory: Path) -> None:
        tm = _token_model()
        from safetensors.torch import load

        meta = json.loads((directory / "transformer.json").read_text(encoding="utf-8"))
        if {k: tuple(v) for k, v in meta["tags"].items()} != TAGS:
            raise InputError(f"{directory}: transformer.json holds other tag sets than this version of ittifaq")
        self.lexicon = list(meta["lexicon"])
        self.options = {**DEFAULTS, **meta["options"]}
        self.base_model = meta.get("base_model")
        self.device = "cpu"
        self._tokenizer, encoder = tm.load_encoder(directory / "encoder")
        self._tagger = tm.TokenTagger(encoder, {layer: len(tags) for layer, tags in TAGS.items()})
        heads = load((directory / "heads.safetensors").read_bytes())
        missing = self._tagger.load_state_dict(heads, strict=False)
        if missing.unexpected_keys or any(k.startswith("heads.") for k in missing.missing_keys):
            raise InputError(f"{directory / 'heads.safetensors'}: does not hold the four tag heads")
        self._tagger.eval()
        self.attributes = AttributeModel.load(directory)
        self.relations = RelationModel.load(directory)
        used = meta.get("span_vectors", {})
        self.use_vectors = {step: bool(used.get(step, False)) for step in VECTOR_STEPS}
        self.projection = SpanProjection.load(directory) if any(self.use_vectors.values()) else None
        if self.projection is not None and self.projection.mean.shape != (int(encoder.config.hidden_size),):
            raise InputError(f"{directory}: span_vectors.json does not fit the encoder's hidden size")


def _token_row(doc: Document, view: TokenView, tags: dict[str, list[str]]) -> dict[str, Any]:
    return {"id": f"{doc.id}-000", "document_id": doc.id, "tokens": view.words, "ner_tags": tags["actors"]}


def _attribute_accuracy(model: AttributeModel, docs: list[Document], views: list[TokenView],
                        vectors: tuple[SpanProjection, list[Pooler]] | None) -> float:
    """Share of the gold spans' attribute values predicted right (the validation choice)."""
    right = total = 0
    for k, (doc, view) in enumerate(zip(docs, views, strict=True)):
        extra = vectors[0].span_features(vectors[1][k]) if vectors else None
        for s in doc.spans:
            gold = s.attributes.to_dict()
            if not any(gold[a] is not None for a, (owner, _) in ATTRIBUTES.items() if owner == s.label):
                continue
            got = model.predict(view, s.start, s.end, s.label, extra).to_dict()
            for attr, (owner, _) in ATTRIBUTES.items():
                if owner == s.label and gold[attr] is not None:
                    total += 1
                    right += got[attr] == gold[attr]
    return right / total if total else 0.0


def _relation_f1(model: RelationModel, docs: list[Document], views: list[TokenView],
                 vectors: tuple[SpanProjection, list[Pooler]] | None) -> float:
    """Micro F1 of the relations predicted between the gold spans (the validation choice)."""
    tp = n_pred = n_gold = 0
    for k, (doc, view) in enumerate(zip(docs, views, strict=True)):
        extra = vectors[0].pair_features(vectors[1][k]) if vectors else None
        index = {s.id: i for i, s in enumerate(doc.spans)}
        gold = {(r.label, index[r.head], index[r.tail]) for r in doc.relations}
        got = set(model.predict(view, [(s.start, s.end, s.label) for s in doc.spans], extra))
        tp += len(gold & got)
        n_pred += len(got)
        n_gold += len(gold)
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
