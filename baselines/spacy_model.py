"""The `spacy` baseline: a blank Arabic spaCy pipeline trained from scratch on the shared tokens.

Pipeline (small widths so it trains on 2 CPU cores in a few minutes):
- `tok2vec`: MultiHashEmbed over NORM (our normalized word), PREFIX, SUFFIX, SHAPE, width 64,
  MaxoutWindowEncoder depth 2, shared by the components below through listeners;
- `ner`: transition-based NER for the actors layer (PER/ORG/GPE; a nested actor inside
  another is left out of training and counted in `params.nested_left_out`);
- `span_finder`: marks token starts and ends of AGREEMENT and QUOTE spans and writes
  the candidate spans between them to doc.spans["candidates"] (quotes run to 60+
  tokens, far beyond what an n-gram suggester can enumerate);
- `spancat`: labels AGREEMENT, QUOTE and CUE over the union of all single tokens (CUE,
  one-word agreements) and those candidates (longer n-grams drowned the few AGREEMENT
  examples in negatives: agreements strict F1 0.00 with 1-4-grams vs 0.10 on a 31-article build) (suggester `ittifaq.ngram_and_candidates.v1`, registered here). During
  training the candidates fed to spancat are the gold AGREEMENT/QUOTE spans plus
  boundary-shifted copies (seeded), so it learns to tell exact from near-miss spans.
spaCy's tokenizer is never used: each Doc is built from the proclitic-aware tokens
(Doc(vocab, words, spaces)), so a span can start after و/ب/ل. Training uses spaCy's
own loop (nlp.initialize, nlp.update) with spacy.util.fix_random_seed; the number of
epochs and then the spancat threshold (0.2-0.5) are chosen on validation (best micro strict span F1, patience 4); training
examples are paragraph-sized chunks (`chunks`). Attributes and
relations come from the steps shared with `crf`. Saved with nlp.to_disk, loaded with
spacy.load (config + weights; no pickled code).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch, registry
from thinc.api import Ragged
from tqdm.auto import tqdm

from ittifaq.baselines.attributes import AttributeModel
from ittifaq.baselines.crf import predict_with_shared_steps
from ittifaq.baselines.features import TokenView, gold_view, layer_spans, make_view, tokenizer_lexicon
from ittifaq.baselines.interface import SEED, Baseline
from ittifaq.baselines.relations import RelationModel
from ittifaq.baselines.selection import layer_f1
from ittifaq.evaluate.reading import write_text_atomic
from ittifaq.evaluate.schema import SPAN_LABELS, Document, Span

SPANCAT_LABELS = ("AGREEMENT", "QUOTE", "CUE")
FINDER_LABELS = ("AGREEMENT", "QUOTE")
CANDIDATES = "candidates"
NGRAM_MAX = 1
WIDTH = 64
MAX_EPOCHS = 20
THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
PATIENCE = 4
BATCH = 8
CHUNK_TOKENS = 40
DROPOUT = 0.1


@registry.misc("ittifaq.ngram_and_candidates.v1")
def build_ngram_and_candidates(max_size: int, candidates_key: str):  # noqa: ANN201 - a spaCy Suggester
    """Suggest every 1..max_size-gram plus the spans already in doc.spans[candidates_key]."""

    def suggest(docs, *, ops=None):  # noqa: ANN001, ANN202
        from thinc.api import get_current_ops

        ops = ops or get_current_ops()
        rows: list[list[int]] = []
        lengths: list[int] = []
        for doc in docs:
            found = {(i, i + k) for k in range(1, max_size + 1) for i in range(len(doc) - k + 1)}
            if candidates_key in doc.spans:
                found.update((s.start, s.end) for s in doc.spans[candidates_key])
            rows.extend([a, b] for a, b in sorted(found))
            lengths.append(len(found))
        data = ops.asarray2i(rows) if rows else ops.xp.zeros((0, 0), dtype="i")
        return Ragged(data, ops.asarray1i(lengths))

    return suggest


def _listener() -> dict[str, Any]:
    return {"@architectures": "spacy.Tok2VecListener.v1", "width": WIDTH, "upstream": "tok2vec"}


def build_pipeline() -> spacy.Language:
    nlp = spacy.blank("ar")
    nlp.add_pipe(
        "tok2vec",
        config={
            "model": {
                "@architectures": "spacy.Tok2Vec.v2",
                "embed": {
                    "@architectures": "spacy.MultiHashEmbed.v2",
                    "width": WIDTH,
                    "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                    "rows": [2000, 1000, 1000, 500],
                    "include_static_vectors": False,
                },
                "encode": {
                    "@architectures": "spacy.MaxoutWindowEncoder.v2",
                    "width": WIDTH,
                    "depth": 2,
                    "window_size": 1,
                    "maxout_pieces": 3,
                },
            }
        },
    )
    nlp.add_pipe(
        "ner",
        config={
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 64,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": _listener(),
            }
        },
    )
    nlp.add_pipe(
        "span_finder",
        config={
            "spans_key": CANDIDATES,
            "threshold": 0.4,
            "max_length": 80,
            "model": {
                "@architectures": "spacy.SpanFinder.v1",
                "scorer": {"@layers": "spacy.LinearLogistic.v1", "nO": 2},
                "tok2vec": _listener(),
            },
        },
    )
    nlp.add_pipe(
        "spancat",
        config={
            "spans_key": "sc",
            "threshold": 0.5,
            "max_positive": 1,
            "suggester": {"@misc": "ittifaq.ngram_and_candidates.v1", "max_size": NGRAM_MAX, "candidates_key": CANDIDATES},
            "model": {
                "@architectures": "spacy.SpanCategorizer.v1",
                "reducer": {"@layers": "spacy.mean_max_reducer.v1", "hidden_size": 64},
                "scorer": {"@layers": "spacy.LinearLogistic.v1"},
                "tok2vec": _listener(),
            },
        },
    )
    return nlp


def make_doc(vocab: Any, view: TokenView) -> Doc:
    """A spaCy Doc holding exactly the shared tokens; NORM is our normalized form."""
    spaces = [
        view.tokens[i][1] < view.tokens[i + 1][0] if i + 1 < len(view) else False for i in range(len(view))
    ]
    doc = Doc(vocab, words=view.words, spaces=spaces)
    for tok, norm in zip(doc, view.norm, strict=True):
        tok.norm_ = norm
    return doc


def _token_spans(view: TokenView, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    starts, ends = view.token_index()
    return [(starts[a], ends[b] + 1, lab) for a, b, lab in spans]


def chunks(doc: Document, view: TokenView, min_tokens: int = CHUNK_TOKENS) -> list[tuple[int, int]]:
    """Token ranges of consecutive sentences (at least `min_tokens` long) that no gold span crosses.

    Training on paragraph-sized pieces instead of whole articles gives many more,
    smaller updates per epoch, which a from-scratch model needs on a small corpus.
    """
    starts, ends = view.token_index()
    crossing = [0] * (len(view) + 1)
    for s in doc.spans:
        i, j = starts[s.start], ends[s.end]
        crossing[i + 1] += 1
        crossing[j + 1] -= 1
    inside = 0
    out: list[tuple[int, int]] = []
    lo = 0
    for k in range(1, len(view)):
        inside += crossing[k]
        if view.sent[k] != view.sent[k - 1] and inside == 0 and k - lo >= min_tokens:
            out.append((lo, k))
            lo = k
    if lo < len(view):
        out.append((lo, len(view)))
    return out


def make_example(
    nlp: spacy.Language, doc: Document, view: TokenView, lo: int, hi: int, rng: random.Random
) -> tuple[Example, int]:
    """A training Example for tokens lo..hi-1, and how many nested actors `ner` could not hold."""
    part = TokenView(view.text, view.tokens[lo:hi], view.words[lo:hi], view.norm[lo:hi], view.sent[lo:hi])
    a0, b0 = part.tokens[0][0], part.tokens[-1][1]
    sub = Document(id=doc.id, text=doc.text, spans=[s for s in doc.spans if a0 <= s.start and s.end <= b0])
    predicted = make_doc(nlp.vocab, part)
    reference = make_doc(nlp.vocab, part)
    actors, dropped = layer_spans(sub, "actors")
    reference.ents = [spacy.tokens.Span(reference, i, j, label=lab) for i, j, lab in _token_spans(part, actors)]
    others = _token_spans(part, [(s.start, s.end, s.label) for s in sub.spans if s.label in SPANCAT_LABELS])
    reference.spans["sc"] = [spacy.tokens.Span(reference, i, j, label=lab) for i, j, lab in others]
    finder = [(i, j) for i, j, lab in others if lab in FINDER_LABELS]
    reference.spans[CANDIDATES] = [reference[i:j] for i, j in finder]
    noisy = set(finder)
    n = len(part)
    for i, j in finder:
        for _ in range(2):
            a = min(max(0, i + rng.randint(-2, 2)), n - 1)
            b = min(max(a + 1, j + rng.randint(-3, 3)), n)
            noisy.add((a, b))
    predicted.spans[CANDIDATES] = [predicted[i:j] for i, j in sorted(noisy)]
    return Example(predicted, reference), dropped


class SpacyBaseline(Baseline):
    name = "spacy"

    def __init__(self, max_epochs: int = MAX_EPOCHS) -> None:
        super().__init__()
        self.max_epochs = max_epochs
        self.lexicon: list[str] = []
        self.nlp: spacy.Language | None = None
        self.attributes = AttributeModel()
        self.relations = RelationModel()

    def train(self, train: list[Document], validation: list[Document] | None = None, progress: bool = True) -> None:
        fix_random_seed(SEED)
        rng = random.Random(SEED)
        self.lexicon = tokenizer_lexicon(train)
        lex = frozenset(self.lexicon)
        views = [gold_view(d, lex) for d in train]
        nlp = build_pipeline()
        examples = []
        nested = 0
        for d, v in zip(train, views, strict=True):
            for lo, hi in chunks(d, v):
                eg, dropped = make_example(nlp, d, v, lo, hi, rng)
                examples.append(eg)
                nested += dropped
        optimizer = nlp.initialize(lambda: examples)
        self.nlp = nlp
        best: tuple[float, bytes | None, int] = (-1.0, None, 0)
        self.selection = []
        bar = tqdm(range(1, self.max_epochs + 1), desc="spacy: epochs", disable=not progress)
        for epoch in bar:
            order = list(examples)
            rng.shuffle(order)
            losses: dict[str, float] = {}
            for batch in minibatch(order, size=BATCH):
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
            if validation:
                f1 = layer_f1(validation, self._spans_only(validation), SPAN_LABELS)
                self.selection.append(
                    {"epoch": epoch, "validation_f1": f1, "losses": {k: round(float(v), 4) for k, v in losses.items()}}
                )
                bar.set_postfix(f1=f"{f1:.3f}")
                if f1 > best[0]:
                    best = (f1, nlp.to_bytes(), epoch)
                elif epoch - best[2] >= PATIENCE:
                    break
            else:
                best = (0.0, None, epoch)
        bar.close()
        if best[1] is not None:
            nlp.from_bytes(best[1])
        threshold = 0.5
        if validation:
            scores = []
            for t in THRESHOLDS:
                nlp.get_pipe("spancat").cfg["threshold"] = t
                f1 = layer_f1(validation, self._spans_only(validation), SPANCAT_LABELS)
                scores.append((f1, -abs(t - 0.5), t))
                self.selection.append({"spancat_threshold": t, "validation_f1": f1})
            threshold = max(scores)[2]
        nlp.get_pipe("spancat").cfg["threshold"] = threshold
        pairs = list(zip(train, views, strict=True))
        self.attributes = AttributeModel.train(pairs, seed=SEED)
        self.relations = RelationModel.train(pairs, seed=SEED)
        self.params = {
            "epochs": best[2],
            "spancat_threshold": threshold,
            "max_epochs": self.max_epochs,
            "width": WIDTH,
            "batch_size": BATCH,
            "dropout": DROPOUT,
            "nested_left_out": {"actors": nested},
            "relation_candidates": self.relations.stats,
        }

    def _tag(self, docs: list[Document]) -> list[tuple[TokenView, list[tuple[int, int, str]]]]:
        assert self.nlp is not None, "model not trained or loaded"
        lex = frozenset(self.lexicon)
        views = [make_view(d.text or "", lex) for d in docs]
        out = []
        spacy_docs = [make_doc(self.nlp.vocab, v) for v in views]
        for view, sdoc in zip(views, self.nlp.pipe(spacy_docs, batch_size=BATCH), strict=True):
            found = [(view.tokens[e.start][0], view.tokens[e.end - 1][1], e.label_) for e in sdoc.ents]
            found += [(view.tokens[s.start][0], view.tokens[s.end - 1][1], s.label_) for s in sdoc.spans.get("sc", [])]
            out.append((view, [f for f in found if f[2] in SPAN_LABELS]))
        return out

    def _spans_only(self, docs: list[Document]) -> list[Document]:
        out = []
        for d, (view, found) in zip(docs, self._tag(docs), strict=True):
            spans = [Span(id=f"T{k + 1}", start=a, end=b, text=view.text[a:b], label=lab) for k, (a, b, lab) in enumerate(found)]
            out.append(Document(id=d.id, text=d.text, spans=spans))
        return out

    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        tagged = self._tag(list(tqdm(docs, desc="spacy: predict", disable=not progress)))
        return [
            predict_with_shared_steps(d, view, found, self.attributes, self.relations)
            for d, (view, found) in zip(docs, tagged, strict=True)
        ]

    def _save_files(self, directory: Path) -> None:
        assert self.nlp is not None, "model not trained"
        self.nlp.to_disk(directory / "pipeline")
        write_text_atomic(directory / "spacy.json", json.dumps({"lexicon": self.lexicon}, ensure_ascii=False))
        self.attributes.save(directory)
        self.relations.save(directory)

    def _load_files(self, directory: Path) -> None:
        self.lexicon = list(json.loads((directory / "spacy.json").read_text(encoding="utf-8"))["lexicon"])
        self.nlp = spacy.load(directory / "pipeline")
        self.nlp.get_pipe("spancat").cfg["threshold"] = float(self.params.get("spancat_threshold", 0.5))
        self.attributes = AttributeModel.load(directory)
        self.relations = RelationModel.load(directory)

