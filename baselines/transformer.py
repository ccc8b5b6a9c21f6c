"""The `transformer` baseline: fine-tune any HuggingFace encoder to tag the four span layers.

Spans: one shared encoder, one IOB2 token-classification head per layer (actors,
agreements, quotes, cues), trained jointly (the sum of the four losses) over the
project's proclitic-split words (`features.make_view`, the same words as `crf`),
aligned to subwords and cut into overlapping windows (`token_model`). Like `crf`, a
layer whose gold spans nest (an ORG inside an ORG) is trained on its longest spans;
the number left out is recorded (`params.nested_left_out`).

Attributes and relations: the shared steps of `crf` and `spacy` (logistic regressions
over span and pair features, `attributes.AttributeModel`, `relations.RelationModel`),
run on the encoder's spans. That is the simplest honest design: the encoder decides
the spans, and the comparison with `crf` isolates what it adds there.

Selection: the number of epochs, by strict span micro F1 on the validation split
after each epoch (the test split is never seen). Seeds are fixed. A saved model is
`encoder/` (the fine-tuned encoder and its tokenizer, `save_pretrained`, safetensors
and JSON), `heads.safetensors`, `transformer.json` and the shared steps' JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ittifaq.baselines.attributes import AttributeModel
from ittifaq.baselines.crf import predict_with_shared_steps
from ittifaq.baselines.features import LAYER_NAMES, gold_view, layer_spans, make_view, tokenizer_lexicon
from ittifaq.baselines.interface import SEED, Baseline
from ittifaq.baselines.relations import RelationModel
from ittifaq.baselines.selection import layer_f1
from ittifaq.evaluate.io.atomic import write_bytes_atomic, write_text_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.io.staged import write_dir_staged
from ittifaq.evaluate.schema import LAYERS, SPAN_LABELS, Document
from ittifaq.evaluate.text.tokenize import bio_tags, spans_from_bio

#: Tag names of each layer's head ("O" first: a word the encoder never saw is tagged O).
TAGS: dict[str, tuple[str, ...]] = {
    layer: ("O",) + tuple(f"{p}-{lab}" for lab in LAYERS[layer] for p in ("B", "I")) for layer in LAYER_NAMES
}
def _token_model() -> Any:
    """`baselines.token_model`, or an error saying which extra to install."""
    try:
        from ittifaq.baselines import token_model
    except ModuleNotFoundError as exc:
        raise InputError(f"the transformer baseline needs {exc.name}: pip install \"ittifaq[transformers]\" "
                         "(on a CPU-only machine, pip install torch==2.13.0 first takes the CPU build)") from None
    return token_model


DEFAULTS: dict[str, Any] = {"epochs": 3, "lr": 5e-5, "batch_size": 8, "max_length": 256, "overlap": 64}


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
        self.lexicon: list[str] = []
        self.attributes = AttributeModel()
        self.relations = RelationModel()
        self._tagger: Any = None
        self._tokenizer: Any = None

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
        pairs = list(zip(train, views, strict=True))
        self.attributes = AttributeModel.train(pairs, seed=SEED)
        self.relations = RelationModel.train(pairs, seed=SEED)
        self.params = {
            "model": str(self.base_model),
            "chosen_epoch": chosen,
            **{k: o[k] for k in DEFAULTS},
            "device": self.device,
            "nested_left_out": nested,
            "relation_candidates": self.relations.stats,
        }

    def _pad_id(self) -> int:
        pad = self._tokenizer.pad_token_id
        return int(pad if pad is not None else 0)

    # prediction ---------------------------------------------------------------------------
    def _layer_tags(self, words: list[str]) -> dict[str, list[str]]:
        """Each layer's tag per word (the most probable, averaged over windows)."""
        tm = _token_model()
        if not words:
            return {layer: [] for layer in LAYER_NAMES}
        o = self.options
        windows = tm.Windows(self._tokenizer, words, o["max_length"], o["overlap"])
        probs = tm.tag_probabilities(self._tagger, windows, self._pad_id(), int(o["batch_size"]),
                                     tm.check_device(self.device))
        return {layer: [TAGS[layer][int(k)] for k in p.argmax(-1)] for layer, p in probs.items()}

    def _found(self, doc: Document) -> tuple[Any, list[tuple[int, int, str]]]:
        view = make_view(doc.text or "", frozenset(self.lexicon))
        found: list[tuple[int, int, str]] = []
        for tags in self._layer_tags(view.words).values():
            found += spans_from_bio(view.tokens, tags)
        return view, found

    def _predict_spans_only(self, docs: list[Document]) -> list[Document]:
        from ittifaq.evaluate.schema import Span

        out = []
        for doc in docs:
            view, found = self._found(doc)
            text = doc.text or ""
            spans = [Span(id=f"T{k + 1}", start=a, end=b, text=text[a:b], label=lab)
                     for k, (a, b, lab) in enumerate(sorted(set(found)))]
            out.append(Document(id=doc.id, text=text, spans=spans))
        return out

    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        from tqdm.auto import tqdm

        out = []
        for doc in tqdm(docs, desc="transformer: predict", disable=not progress):
            view, found = self._found(doc)
            out.append(predict_with_shared_steps(doc, view, found, self.attributes, self.relations))
        return out

    def token_rows(self, docs: list[Document]) -> list[dict[str, Any]]:
        """The actor head's output in the `ner` config's layout (one row per document), as a
        token classifier would write it: what `ittifaq import --from hf-ner` reads back."""
        rows = []
        for doc in docs:
            view = make_view(doc.text or "", frozenset(self.lexicon))
            tags = self._layer_tags(view.words)["actors"]
            rows.append({"id": f"{doc.id}-000", "document_id": doc.id, "tokens": view.words, "ner_tags": tags})
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
        meta = {"lexicon": self.lexicon, "tags": TAGS, "options": self.options, "base_model": self.base_model}
        write_text_atomic(directory / "transformer.json", json.dumps(meta, ensure_ascii=False))
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
