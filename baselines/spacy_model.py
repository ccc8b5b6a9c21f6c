"""The `spacy` baseline: a blank Arabic spaCy pipeline trained from scratch on the shared tokens.

Pipeline (small widths so it trains on 2 CPU cores in about two minutes):
- `tok2vec`: MultiHashEmbed over NORM (our normalized word), PREFIX, SUFFIX, SHAPE, width
  WIDTH, MaxoutWindowEncoder of depth DEPTH (each token sees DEPTH words either side), shared
  by the components below through listeners;
- `ner`: transition-based NER for the actors layer (PER/ORG/GPE; a nested actor inside
  another is left out of training and counted in `params.nested_left_out`);
- one span finder per long label (`span_finder_agreement`, `span_finder_quote`; spaCy's
  span_finder with one addition, factory `ittifaq_span_finder`): each scores every token as
  a start and as an end of that label's spans and writes every start..end pair up to
  FINDER_MAX_LENGTH tokens to doc.spans["candidates_<LABEL>"]; for quotes every token right
  before . » ، (END_BEFORE) is also an end, since the end head alone is weak. One
  finder shared by both labels learned agreement edges so poorly (median start and end
  probability 0.01 at gold agreement edges on validation) that no agreement was ever
  proposed, and its 80-token cap cut off the longest quotes;
- `spancat`: labels AGREEMENT, QUOTE and CUE over every 1..NGRAM_MAX-gram (CUE is one or two
  words) plus the finders' candidates (suggester `ittifaq.ngram_and_candidates.v2`, registered
  here). Its output is decoded per label: a label's own threshold, then the best-scoring
  span wins among overlapping spans of that label (the suggester offers many near-identical
  quote candidates, and spancat alone labelled several of them).
The finders and spancat are trained with the logistic loss (`use_logistic_loss`; spaCy's
squared error let their sigmoid outputs die at 0). During training the candidates fed to spancat imitate those it will meet at prediction:
gold spans, boundary-shifted copies, every pairing of the chunk's gold-ish starts and ends,
and (from the second epoch on) what the finders currently propose on the training chunk,
redrawn every epoch (seeded). Before, spancat only ever saw gold spans and +-3-token
shifts, so at prediction it labelled as QUOTE any long candidate the finder produced.
spaCy's tokenizer is never used: each Doc is built from the proclitic-aware tokens
(Doc(vocab, words, spaces)), so a span can start after و/ب/ل. Training uses spaCy's own
loop (nlp.initialize, nlp.update) with spacy.util.fix_random_seed; the epoch is chosen on
validation (best micro strict span F1, patience PATIENCE), then each finder's threshold
with that label's spancat threshold, then the CUE threshold (all on validation, strict F1 of
the label). Training examples are paragraph-sized chunks (`chunks`). Attributes and
relations come from the steps shared with `crf`. Saved with nlp.to_disk, loaded with
spacy.load (config + weights; no pickled code).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.language import Language
from spacy.pipeline.span_finder import DEFAULT_SPAN_FINDER_MODEL, SpanFinder
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch, registry
from thinc.api import Adam, Ragged
from tqdm.auto import tqdm

from ittifaq.baselines.attributes import AttributeModel
from ittifaq.baselines.crf import predict_with_shared_steps
from ittifaq.baselines.features import TokenView, gold_view, layer_spans, make_view, tokenizer_lexicon
from ittifaq.baselines.interface import SEED, Baseline
from ittifaq.baselines.relations import RelationModel
from ittifaq.baselines.selection import layer_f1
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.schema import SPAN_LABELS, Document, Span

SPANCAT_LABELS = ("AGREEMENT", "QUOTE", "CUE")
FINDER_LABELS = ("AGREEMENT", "QUOTE")
#: Longest candidate each finder proposes, in tokens (train: agreements <= 26, quotes <= 79).
FINDER_MAX_LENGTH = {"AGREEMENT": 40, "QUOTE": 128}
#: Words a span of the label can end right before, made candidate ends whatever the finder
#: scores them: every training quote ends before . » or ، (the finder alone found 46 of 91
#: validation quote ends).
END_BEFORE = {"AGREEMENT": (), "QUOTE": (".", "»", "،", '"', "”", "؟", "!", "?")}
NGRAM_MAX = 2
WIDTH = 64
DEPTH = 3
MAX_EPOCHS = 15
PATIENCE = 4
BATCH = 8
CHUNK_TOKENS = 40
DROPOUT = 0.2
LEARN_RATE = 0.002
FINDER_THRESHOLD = 0.3
SPANCAT_THRESHOLD = 0.5
FINDER_THRESHOLDS = (0.1, 0.2, 0.3, 0.5)
SPANCAT_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
#: Components trained with the logistic loss (`use_logistic_loss`).
LOGISTIC_LOSS = (*(f"span_finder_{lab.lower()}" for lab in FINDER_LABELS), "spancat")


def candidates_key(label: str) -> str:
    return f"candidates_{label}"


def finder_name(label: str) -> str:
    return f"span_finder_{label.lower()}"


@registry.misc("ittifaq.ngram_and_candidates.v2")
def build_ngram_and_candidates(max_size: int, candidates_keys: list[str]):  # noqa: ANN201 - a spaCy Suggester
    """Suggest every 1..max_size-gram plus the spans already in doc.spans[key] for each key."""

    def suggest(docs, *, ops=None):  # noqa: ANN001, ANN202
        from thinc.api import get_current_ops

        ops = ops or get_current_ops()
        rows: list[list[int]] = []
        lengths: list[int] = []
        for doc in docs:
            found = {(i, i + k) for k in range(1, max_size + 1) for i in range(len(doc) - k + 1)}
            for key in candidates_keys:
                if key in doc.spans:
                    found.update((s.start, s.end) for s in doc.spans[key])
            rows.extend([a, b] for a, b in sorted(found))
            lengths.append(len(found))
        data = ops.asarray2i(rows) if rows else ops.xp.zeros((0, 0), dtype="i")
        return Ragged(data, ops.asarray1i(lengths))

    return suggest


class BoundarySpanFinder(SpanFinder):
    """spaCy's span_finder, whose candidate ends also include each token followed by a word in cfg["end_before"]."""

    def set_annotations(self, docs: Iterable[Doc], scores: Any) -> None:
        scores = self.model.ops.to_numpy(scores)
        threshold = self.cfg["threshold"]
        shortest = self.cfg["min_length"] or 1
        longest = self.cfg["max_length"] or 10**9
        end_before = frozenset(self.cfg.get("end_before") or ())
        offset = 0
        for doc in docs:
            doc_scores = scores[offset : offset + len(doc)]
            offset += len(doc)
            starts = np.flatnonzero(doc_scores[:, 0] >= threshold).tolist()
            ends = set(np.flatnonzero(doc_scores[:, 1] >= threshold).tolist())
            ends.update(k - 1 for k in range(1, len(doc)) if doc[k].text in end_before)
            doc.spans[self.cfg["spans_key"]] = [
                doc[i : j + 1] for i in starts for j in sorted(ends) if shortest <= j + 1 - i <= longest
            ]


@Language.factory(
    "ittifaq_span_finder",
    default_config={
        "threshold": 0.5,
        "max_length": None,
        "min_length": None,
        "end_before": [],
        "model": DEFAULT_SPAN_FINDER_MODEL,
        "spans_key": "sc",
        "scorer": {"@scorers": "spacy.span_finder_scorer.v1"},
    },
)
def make_boundary_span_finder(  # noqa: PLR0913 - spaCy passes the whole config
    nlp: Language,
    name: str,
    model: Any,
    spans_key: str,
    threshold: float,
    max_length: int | None,
    min_length: int | None,
    end_before: list[str],
    scorer: Any,
) -> BoundarySpanFinder:
    finder = BoundarySpanFinder(
        nlp, model=model, name=name, spans_key=spans_key, threshold=threshold,
        max_length=max_length, min_length=min_length, scorer=scorer,
    )
    finder.cfg["end_before"] = list(end_before)
    return finder


def use_logistic_loss(pipe: Any) -> None:
    """Train `pipe` (span_finder or spancat) with the logistic (cross-entropy) loss instead of squared error.

    Both components score with a sigmoid and spaCy backpropagates (p - y), i.e. squared
    error, so the logit gradient is p(1 - p)(p - y): with one agreement edge per ~120
    tokens the outputs sink to ~0 in the first epoch and the gradient vanishes with them
    (the agreement finder's loss stayed flat and it never proposed a span). Dividing by
    p(1 - p) makes the logit gradient p - y. Only training changes; the saved pipeline is
    plain spaCy.
    """
    original = pipe.get_loss

    def get_loss(examples, scores):  # noqa: ANN001, ANN202
        _, d_scores = original(examples, scores)
        probs = scores[1] if isinstance(scores, tuple) else scores
        xp = pipe.model.ops.xp
        slope = xp.clip(probs * (1.0 - probs), 1e-6, None)
        loss = float(-xp.log(xp.clip(1.0 - xp.abs(d_scores), 1e-6, None)).sum())
        return loss, d_scores / slope

    pipe.get_loss = get_loss


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
                    "depth": DEPTH,
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
    for label in FINDER_LABELS:
        nlp.add_pipe(
            "ittifaq_span_finder",
            name=finder_name(label),
            config={
                "spans_key": candidates_key(label),
                "threshold": FINDER_THRESHOLD,
                "max_length": FINDER_MAX_LENGTH[label],
                "end_before": list(END_BEFORE[label]),
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
            "threshold": SPANCAT_THRESHOLD,
            "max_positive": 1,
            "suggester": {
                "@misc": "ittifaq.ngram_and_candidates.v2",
                "max_size": NGRAM_MAX,
                "candidates_keys": [candidates_key(lab) for lab in FINDER_LABELS],
            },
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


def token_spans(view: TokenView, spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Character spans -> (first token, last token + 1, label); every edge must be a token edge."""
    starts, ends = view.token_index()
    return [(starts[a], ends[b] + 1, lab) for a, b, lab in spans]


def char_spans(view: TokenView, spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The inverse of `token_spans`: token spans (end exclusive) -> character offsets."""
    return [(view.tokens[i][0], view.tokens[j - 1][1], lab) for i, j, lab in spans]


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


def make_example(nlp: spacy.Language, doc: Document, view: TokenView, lo: int, hi: int) -> tuple[Example, int]:
    """A training Example for tokens lo..hi-1, and how many nested actors `ner` could not hold.

    The reference holds actors in .ents, AGREEMENT/QUOTE/CUE in .spans["sc"] and each
    finder label's gold spans in .spans["candidates_<LABEL>"]; the predicted side gets its
    spancat candidates from `training_candidates` before every epoch.
    """
    part = TokenView(view.text, view.tokens[lo:hi], view.words[lo:hi], view.norm[lo:hi], view.sent[lo:hi])
    a0, b0 = part.tokens[0][0], part.tokens[-1][1]
    sub = Document(id=doc.id, text=doc.text, spans=[s for s in doc.spans if a0 <= s.start and s.end <= b0])
    predicted = make_doc(nlp.vocab, part)
    reference = make_doc(nlp.vocab, part)
    actors, dropped = layer_spans(sub, "actors")
    reference.ents = [spacy.tokens.Span(reference, i, j, label=lab) for i, j, lab in token_spans(part, actors)]
    others = token_spans(part, [(s.start, s.end, s.label) for s in sub.spans if s.label in SPANCAT_LABELS])
    reference.spans["sc"] = [spacy.tokens.Span(reference, i, j, label=lab) for i, j, lab in others]
    for label in FINDER_LABELS:
        reference.spans[candidates_key(label)] = [reference[i:j] for i, j, lab in others if lab == label]
    return Example(predicted, reference), dropped


def training_candidates(
    gold: Sequence[tuple[int, int]],
    proposed: Iterable[tuple[int, int]],
    n: int,
    max_length: int,
    rng: random.Random,
    extra_ends: Iterable[int] = (),
) -> list[tuple[int, int]]:
    """Candidates for one label in a chunk of n tokens: gold, shifted gold, gold-ish start x end pairs, proposals.

    Near misses teach exact boundaries; cross pairs (one quote's start, the next one's
    end) and the finder's own proposals are the wrong candidates met at prediction time.
    """
    found = set(gold) | set(proposed)
    starts = {i for i, _ in gold}
    ends = {j for _, j in gold}
    for i, j in gold:
        for _ in range(2):
            a = min(max(0, i + rng.randint(-2, 2)), n - 1)
            b = min(max(a + 1, j + rng.randint(-3, 3)), n)
            found.add((a, b))
            starts.add(a)
            ends.add(b)
    ends.update(extra_ends)
    found.update((a, b) for a in starts for b in ends if 0 < b - a <= max_length)
    return sorted(found)


def decode(group: Any, thresholds: dict[str, float]) -> list[tuple[int, int, str, float]]:
    """spancat output -> token spans: each label's threshold, then no two overlapping spans of one label."""
    scores = np.asarray(group.attrs.get("scores", []), dtype="float32").reshape(-1)
    items = sorted(
        ((float(p), s.start, s.end, s.label_) for s, p in zip(group, scores, strict=True) if p >= thresholds[s.label_]),
        key=lambda t: (-t[0], t[1], t[2], t[3]),
    )
    kept: list[tuple[int, int, str, float]] = []
    for p, i, j, lab in items:
        if any(lab == kl and i < kj and ki < j for ki, kj, kl, _ in kept):
            continue
        kept.append((i, j, lab, p))
    return sorted(kept)


class SpacyBaseline(Baseline):
    name = "spacy"

    def __init__(self, max_epochs: int = MAX_EPOCHS) -> None:
        super().__init__()
        self.max_epochs = max_epochs
        self.lexicon: list[str] = []
        self.nlp: spacy.Language | None = None
        self.attributes = AttributeModel()
        self.relations = RelationModel()
        self.thresholds: dict[str, float] = dict.fromkeys(SPANCAT_LABELS, SPANCAT_THRESHOLD)

    def train(self, train: list[Document], validation: list[Document] | None = None, progress: bool = True) -> None:
        fix_random_seed(SEED)
        rng = random.Random(SEED)
        self.lexicon = tokenizer_lexicon(train)
        lex = frozenset(self.lexicon)
        views = [gold_view(d, lex) for d in train]
        nlp = build_pipeline()
        self.nlp = nlp
        self.thresholds = dict.fromkeys(SPANCAT_LABELS, SPANCAT_THRESHOLD)
        examples: list[Example] = []
        nested = 0
        for d, v in zip(train, views, strict=True):
            for lo, hi in chunks(d, v):
                eg, dropped = make_example(nlp, d, v, lo, hi)
                examples.append(eg)
                nested += dropped
        optimizer = nlp.initialize(lambda: examples, sgd=Adam(LEARN_RATE))
        for name in LOGISTIC_LOSS:
            use_logistic_loss(nlp.get_pipe(name))
        best: tuple[float, bytes | None, int] = (-1.0, None, 0)
        self.selection = []
        bar = tqdm(range(1, self.max_epochs + 1), desc="spacy: epochs", disable=not progress)
        for epoch in bar:
            self._set_training_candidates(examples, rng, use_finders=epoch > 1)
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
        if validation:
            self._select_thresholds(validation)
        pairs = list(zip(train, views, strict=True))
        self.attributes = AttributeModel.train(pairs, seed=SEED)
        self.relations = RelationModel.train(pairs, seed=SEED)
        self.params = {
            "epochs": best[2],
            "spancat_thresholds": dict(self.thresholds),
            "finder_thresholds": {lab: self._finder(lab).cfg["threshold"] for lab in FINDER_LABELS},
            "finder_max_length": dict(FINDER_MAX_LENGTH),
            "max_epochs": self.max_epochs,
            "width": WIDTH,
            "depth": DEPTH,
            "learn_rate": LEARN_RATE,
            "batch_size": BATCH,
            "dropout": DROPOUT,
            "nested_left_out": {"actors": nested},
            "relation_candidates": self.relations.stats,
        }

    def _finder(self, label: str) -> Any:
        assert self.nlp is not None, "model not trained or loaded"
        return self.nlp.get_pipe(finder_name(label))

    def _set_training_candidates(self, examples: list[Example], rng: random.Random, use_finders: bool) -> None:
        """Fill each example's predicted doc.spans["candidates_<LABEL>"] for this epoch."""
        assert self.nlp is not None
        proposed: list[dict[str, list[tuple[int, int]]]] = [{} for _ in examples]
        if use_finders:
            names = ["tok2vec", *(finder_name(lab) for lab in FINDER_LABELS)]
            disable = [n for n in self.nlp.pipe_names if n not in names]
            copies = self.nlp.pipe((eg.predicted.copy() for eg in examples), batch_size=64, disable=disable)
            for k, doc in enumerate(copies):
                proposed[k] = {lab: [(s.start, s.end) for s in doc.spans[candidates_key(lab)]] for lab in FINDER_LABELS}
        for eg, props in zip(examples, proposed, strict=True):
            n = len(eg.predicted)
            for lab in FINDER_LABELS:
                key = candidates_key(lab)
                gold = [(s.start, s.end) for s in eg.reference.spans[key]]
                marks = frozenset(END_BEFORE[lab])
                extra = [k for k in range(1, n) if eg.predicted[k].text in marks]
                cands = training_candidates(gold, props.get(lab, []), n, FINDER_MAX_LENGTH[lab], rng, extra)
                eg.predicted.spans[key] = [eg.predicted[i:j] for i, j in cands]

    def _docs(self, docs: list[Document]) -> tuple[list[TokenView], list[Doc]]:
        assert self.nlp is not None, "model not trained or loaded"
        lex = frozenset(self.lexicon)
        views = [make_view(d.text or "", lex) for d in docs]
        return views, [make_doc(self.nlp.vocab, v) for v in views]

    def _found(self, view: TokenView, sdoc: Doc) -> list[tuple[int, int, str]]:
        found = char_spans(view, [(e.start, e.end, e.label_) for e in sdoc.ents])
        spans = decode(sdoc.spans.get("sc", []), self.thresholds) if "sc" in sdoc.spans else []
        found += char_spans(view, [(i, j, lab) for i, j, lab, _ in spans])
        return [f for f in found if f[2] in SPAN_LABELS]

    def _tag(self, docs: list[Document]) -> list[tuple[TokenView, list[tuple[int, int, str]]]]:
        assert self.nlp is not None, "model not trained or loaded"
        views, sdocs = self._docs(docs)
        self.nlp.get_pipe("spancat").cfg["threshold"] = min(self.thresholds.values())
        return [(v, self._found(v, s)) for v, s in zip(views, self.nlp.pipe(sdocs, batch_size=BATCH), strict=True)]

    def _select_thresholds(self, validation: list[Document]) -> None:
        """Each finder's threshold with its label's spancat threshold, then CUE's; strict F1 of the label on validation."""
        assert self.nlp is not None
        nlp = self.nlp
        spancat = nlp.get_pipe("spancat")
        spancat.cfg["threshold"] = min(SPANCAT_THRESHOLDS)
        views, sdocs = self._docs(validation)
        sdocs = list(nlp.pipe(sdocs, batch_size=BATCH, disable=["spancat", *(finder_name(lab) for lab in FINDER_LABELS)]))
        finder_scores = {lab: [self._finder(lab).predict([d]) for d in sdocs] for lab in FINDER_LABELS}
        chosen = {lab: float(self._finder(lab).cfg["threshold"]) for lab in FINDER_LABELS}

        def spancat_groups(finder_t: dict[str, float]) -> list[Any]:
            for lab in FINDER_LABELS:
                finder = self._finder(lab)
                finder.cfg["threshold"] = finder_t[lab]
                for d, sc in zip(sdocs, finder_scores[lab], strict=True):
                    finder.set_annotations([d], sc)
            return [spancat(d).spans["sc"] for d in sdocs]

        def f1(groups: list[Any], label: str, thresholds: dict[str, float]) -> float:
            preds = []
            for d, v, g in zip(validation, views, groups, strict=True):
                found = char_spans(v, [(i, j, lab) for i, j, lab, _ in decode(g, thresholds) if lab == label])
                spans = [Span(id=f"T{k + 1}", start=a, end=b, text=v.text[a:b], label=lab) for k, (a, b, lab) in enumerate(found)]
                preds.append(Document(id=d.id, text=d.text, spans=spans))
            return layer_f1(validation, preds, (label,))

        for label in FINDER_LABELS:
            scores = []
            for ft in FINDER_THRESHOLDS:
                groups = spancat_groups({**chosen, label: ft})
                for st in SPANCAT_THRESHOLDS:
                    score = f1(groups, label, {**self.thresholds, label: st})
                    self.selection.append({"label": label, "finder_threshold": ft, "spancat_threshold": st, "validation_f1": score})
                    scores.append((score, -abs(ft - FINDER_THRESHOLD), -abs(st - SPANCAT_THRESHOLD), ft, st))
            _, _, _, chosen[label], self.thresholds[label] = max(scores)
        groups = spancat_groups(chosen)
        scores = []
        for st in SPANCAT_THRESHOLDS:
            score = f1(groups, "CUE", {**self.thresholds, "CUE": st})
            self.selection.append({"label": "CUE", "spancat_threshold": st, "validation_f1": score})
            scores.append((score, -abs(st - SPANCAT_THRESHOLD), st))
        self.thresholds["CUE"] = max(scores)[2]
        for lab in FINDER_LABELS:
            self._finder(lab).cfg["threshold"] = chosen[lab]

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
        saved = self.params.get("spancat_thresholds") or {}
        self.thresholds = {lab: float(saved.get(lab, SPANCAT_THRESHOLD)) for lab in SPANCAT_LABELS}
        for lab, t in (self.params.get("finder_thresholds") or {}).items():
            self._finder(lab).cfg["threshold"] = float(t)
        self.attributes = AttributeModel.load(directory)
        self.relations = RelationModel.load(directory)
