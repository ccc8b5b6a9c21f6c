"""The `rules` baseline: gazetteers, cue and trigger lexicons, and nearest-candidate relations.

Spans
- Actors: greedy longest match of actor surfaces seen in the training split (normalized
  tokens; label = the surface's most frequent training label); plus unseen PER names
  after a title (lexicons/titles.txt): the title, up to 3 ال-modifiers (الخارجية الروسي),
  then 2-3 Arabic name tokens up to punctuation or a function word.
- Direct QUOTE: the text between a pair of quotation marks (« », “ ”, " "), marks
  excluded, when it has at least 3 words (shorter marked text is usually a name).
- Indirect QUOTE: a cue word (lexicons/cues.txt) followed within `indirect_window`
  tokens of its sentence by أن/إن/بأن; the content runs from after the complementizer to
  the end of the sentence (final punctuation excluded). With بحسب/حسب/وفقا/نقلا after a
  comma, the content is the clause from the sentence start to that comma.
- CUE: the cue word a quote was found with (for a direct quote: the nearest cue before
  the opening mark in its sentence, else the first one after the closing mark). Cue
  words with no quote are not emitted (أعلن often introduces no quote).
- AGREEMENT: a trigger noun (lexicons/agreement_triggers.txt) plus up to
  `agreement_extra` following tokens, stopping before punctuation, a stop word
  (lexicons/agreement_stops.txt), a cue, a complementizer or a sentence end.
Attributes: keyword rules (see attributes.rule_attributes).
Relations (nearest candidate)
- cue: the quote's own cue.
- speaker: when the cue precedes the quote, the first PER (else the first actor)
  between the cue and the quote, else the nearest actor before the cue in its sentence;
  when the cue follows the quote, the first actor after the cue in the sentence; failing
  all, the nearest PER before the quote (a pronoun's antecedent).
- party: the GPE/ORG mentions inside the agreement span; if none, those of its
  sentence outside quotes and not right after في/إلى (venues), at most 4.
- affiliation: a PER followed within 3 tokens (in its sentence) by an ORG/GPE, when the
  tokens between contain من/في/ب/باسم or a role word (lexicons/source_roles.txt).
Hyper-parameters chosen on validation: agreement_extra in {0, 1, 2, 3, 5} and
indirect_window in {4, 8, 12}, each by its own layer's strict F1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ittifaq.baselines.attributes import majority_values, rule_attributes
from ittifaq.baselines.features import (
    CLOSE_MARKS,
    COMPLEMENTIZERS,
    OPEN_MARKS,
    QUOTE_MARKS,
    SENTENCE_END,
    Gazetteer,
    TokenView,
    cue_words,
    keyword_map,
    make_view,
    tokenizer_lexicon,
    trigger_words,
    word_list,
)
from ittifaq.baselines.interface import Baseline, RawRelation, RawSpan, build_prediction
from ittifaq.baselines.selection import layer_f1
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.schema import Attributes, Document

ACCORDING_TO = frozenset({"بحسب", "حسب", "وفقا", "وفق", "نقلا"})
VENUE_WORDS = frozenset({"في", "الي", "من"})
AFFILIATION_WORDS = frozenset({"من", "في", "ب", "باسم", "ل", "لدي"})
NAME_STOPS = frozenset(
    {"من", "في", "الي", "علي", "عن", "مع", "خلال", "الذي", "التي", "ان", "قد", "لم", "لن", "كان", "بين", "عام", "يوم", "امس"}
)
_ARABIC_WORD = re.compile(r"^[\u0621-\u064A\u0640\u064B-\u065F]+$")
PUNCT = frozenset("،,:;؛()[]") | SENTENCE_END | QUOTE_MARKS

DEFAULTS: dict[str, Any] = {"agreement_extra": 3, "indirect_window": 8}
GRID: dict[str, tuple[str, tuple[int, ...]]] = {
    "agreement_extra": ("AGREEMENT", (0, 1, 2, 3, 5)),
    "indirect_window": ("QUOTE", (4, 8, 12)),
}


class RulesBaseline(Baseline):
    name = "rules"

    def __init__(self) -> None:
        super().__init__()
        self.lexicon: list[str] = []
        self.gazetteer = Gazetteer()
        self.defaults: dict[str, str | None] = {}

    # training -----------------------------------------------------------------------------
    def train(self, train: list[Document], validation: list[Document] | None = None, progress: bool = True) -> None:
        self.lexicon = tokenizer_lexicon(train)
        self.gazetteer = Gazetteer.build(train, self.lexicon)
        self.defaults = majority_values(train)
        self.params = dict(DEFAULTS)
        self.selection = []
        if not validation:
            return
        for param, (label, values) in tqdm(GRID.items(), desc="rules: select on validation", disable=not progress):
            best = (-1.0, self.params[param])
            for v in values:
                self.params[param] = v
                f1 = layer_f1(validation, self.predict(validation), (label,))
                self.selection.append({"param": param, "value": v, "label": label, "validation_f1": f1})
                if f1 > best[0]:
                    best = (f1, v)
            self.params[param] = best[1]

    def _save_files(self, directory: Path) -> None:
        data = {"lexicon": self.lexicon, "gazetteer": self.gazetteer.to_json(), "defaults": self.defaults}
        write_text_atomic(directory / "rules.json", json.dumps(data, ensure_ascii=False))

    def _load_files(self, directory: Path) -> None:
        data = json.loads((directory / "rules.json").read_text(encoding="utf-8"))
        self.lexicon = list(data["lexicon"])
        self.gazetteer = Gazetteer.from_json(data["gazetteer"])
        self.defaults = dict(data["defaults"])

    # prediction ---------------------------------------------------------------------------
    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        lex = frozenset(self.lexicon)
        out = []
        for doc in tqdm(docs, desc="rules: predict", disable=not progress):
            view = make_view(doc.text or "", lex)
            spans, rels = self._extract(view)
            out.append(build_prediction(doc, spans, rels))
        return out

    def _extract(self, view: TokenView) -> tuple[list[RawSpan], list[RawRelation]]:
        n = len(view)
        spans: list[RawSpan] = []
        rels: list[RawRelation] = []
        actor_tok: list[tuple[int, int, str, int]] = []  # (i, j, label, span index)
        tags = self.gazetteer.tags(view)
        i = 0
        while i < n:
            if tags[i].startswith("B-"):
                j = i
                while j + 1 < n and tags[j + 1].startswith("I-"):
                    j += 1
                label = tags[i][2:]
                a, b = view.char_span(i, j)
                actor_tok.append((i, j, label, len(spans)))
                spans.append((a, b, label, rule_attributes(view, a, b, label, self.defaults)))
                i = j + 1
            else:
                i += 1

        taken = {k for i_, j_, _l, _k in actor_tok for k in range(i_, j_ + 1)}
        for i_, j_ in self._title_names(view, taken):
            a, b = view.char_span(i_, j_)
            actor_tok.append((i_, j_, "PER", len(spans)))
            spans.append((a, b, "PER", Attributes()))
        actor_tok.sort()

        quotes = self._quotes(view)
        quote_tok: list[tuple[int, int]] = []
        for qi, qj, cue in quotes:
            a, b = view.char_span(qi, qj)
            q = len(spans)
            spans.append((a, b, "QUOTE", rule_attributes(view, a, b, "QUOTE", self.defaults)))
            quote_tok.append((qi, qj))
            if cue is not None:
                ca, cb = view.tokens[cue]
                c = len(spans)
                spans.append((ca, cb, "CUE", rule_attributes(view, ca, cb, "CUE", self.defaults)))
                rels.append(("cue", q, c))
            speaker = self._speaker(view, qi, qj, cue, actor_tok)
            if speaker is not None:
                rels.append(("speaker", q, speaker))

        def in_quote(i: int) -> bool:
            return any(qi <= i <= qj for qi, qj in quote_tok)

        for ai, aj in self._agreements(view):
            a, b = view.char_span(ai, aj)
            g = len(spans)
            spans.append((a, b, "AGREEMENT", rule_attributes(view, a, b, "AGREEMENT", self.defaults)))
            inside = [k for i_, j_, lab, k in actor_tok if lab != "PER" and ai <= i_ and j_ <= aj]
            if not inside:
                inside = [
                    k
                    for i_, _j, lab, k in actor_tok
                    if lab != "PER"
                    and view.sent[i_] == view.sent[ai]
                    and not in_quote(i_)
                    and not (i_ > 0 and view.norm[i_ - 1] in VENUE_WORDS)
                ][:4]
            rels.extend(("party", g, k) for k in inside)

        roles = keyword_map("source_roles")
        for pi, pj, lab, p in actor_tok:
            if lab != "PER":
                continue
            for oi, _oj, olab, o in actor_tok:
                if olab == "PER" or oi <= pj or oi - pj - 1 > 3 or view.sent[oi] != view.sent[pi]:
                    continue
                between = view.norm[pj + 1 : oi]
                if any(w in AFFILIATION_WORDS or w in roles for w in between):
                    rels.append(("affiliation", p, o))
                break
        return spans, rels

    @staticmethod
    def _title_names(view: TokenView, taken: set[int]) -> list[tuple[int, int]]:
        """Unseen person names after a title: title, up to 3 ال-modifiers, then 2-3 name tokens."""
        titles = word_list("titles")
        stops = NAME_STOPS | cue_words() | COMPLEMENTIZERS
        out: list[tuple[int, int]] = []
        n = len(view)
        for t in range(n):
            if view.norm[t] not in titles and not (view.norm[t][:1] in "وف" and view.norm[t][1:] in titles):
                continue
            k = t + 1
            while k < n and k - t <= 3 and view.norm[k].startswith("ال") and view.sent[k] == view.sent[t]:
                k += 1
            if k >= n or view.norm[k].startswith("ال") or view.norm[k] in stops or view.words[k] in PUNCT:
                continue
            j = k
            while (
                j + 1 < n
                and j + 1 - k < 3
                and view.sent[j + 1] == view.sent[t]
                and view.words[j + 1] not in PUNCT
                and view.norm[j + 1] not in stops
                and not view.norm[j + 1].startswith("لل")
                and not view.words[j + 1].isdigit()
            ):
                j += 1
            if j > k and not any(x in taken for x in range(k, j + 1)) and all(_ARABIC_WORD.match(view.words[x]) for x in range(k, j + 1)):
                out.append((k, j))
                taken.update(range(k, j + 1))
        return out

    def _quotes(self, view: TokenView) -> list[tuple[int, int, int | None]]:
        """(first token, last token, cue token or None) of every quote found."""
        cues = cue_words()
        n = len(view)
        found: list[tuple[int, int, int | None]] = []
        covered: set[int] = set()
        # direct quotes between marks
        i = 0
        while i < n:
            w = view.words[i]
            if w in OPEN_MARKS or w == '"':
                closers = CLOSE_MARKS if w in OPEN_MARKS else frozenset('"')
                j = i + 1
                while j < n and view.words[j] not in closers and view.sent[j] - view.sent[i] <= 3:
                    j += 1
                if j < n and view.words[j] in closers and j - i - 1 >= 3:
                    cue = next((k for k in range(i - 1, -1, -1) if view.sent[k] == view.sent[i] and view.norm[k] in cues), None)
                    if cue is None:
                        cue = next(
                            (k for k in range(j + 1, min(n, j + 7)) if view.sent[k] == view.sent[j] and view.norm[k] in cues),
                            None,
                        )
                    found.append((i + 1, j - 1, cue))
                    covered.update(range(i, j + 1))
                    i = j + 1
                    continue
            i += 1
        # indirect quotes: cue ... أن/إن <content to sentence end>
        window = int(self.params.get("indirect_window", DEFAULTS["indirect_window"]))
        for c in range(n):
            if view.norm[c] not in cues or c in covered:
                continue
            if view.norm[c] in ACCORDING_TO and c > 0 and view.words[c - 1] in "،,":
                start = c - 1
                while start > 0 and view.sent[start - 1] == view.sent[c] and view.words[start - 1] not in QUOTE_MARKS:
                    start -= 1
                if c - 1 - start >= 3 and not (covered & set(range(start, c))):
                    found.append((start, c - 2, c))
                    covered.update(range(start, c))
                continue
            for k in range(c + 1, min(n, c + 1 + window)):
                if view.sent[k] != view.sent[c] or view.words[k] in QUOTE_MARKS or k in covered:
                    break
                if view.norm[k] in COMPLEMENTIZERS or (view.norm[k] == "ان" and view.norm[k - 1] == "الي"):
                    end = k + 1
                    while end + 1 < n and view.sent[end + 1] == view.sent[c]:
                        end += 1
                    while end > k and view.words[end] in PUNCT:
                        end -= 1
                    if end > k and not (covered & set(range(k + 1, end + 1))):
                        if view.words[k + 1] not in QUOTE_MARKS:
                            found.append((k + 1, end, c))
                            covered.update(range(c, end + 1))
                    break
        return sorted(found)

    def _speaker(
        self, view: TokenView, qi: int, qj: int, cue: int | None, actors: list[tuple[int, int, str, int]]
    ) -> int | None:
        outside = [a for a in actors if not (qi <= a[0] <= qj)]
        if cue is not None:
            sid = view.sent[cue]
            if cue < qi:
                gap = [a for a in outside if cue < a[0] < qi]
                pick = next((a for a in gap if a[2] == "PER"), gap[0] if gap else None)
                if pick is None:
                    before = [a for a in outside if a[1] < cue and view.sent[a[0]] == sid]
                    pick = before[-1] if before else None
            else:
                after = [a for a in outside if a[0] > cue and view.sent[a[0]] == sid]
                pick = after[0] if after else None
            if pick is not None:
                return pick[3]
        before = [a for a in outside if a[1] < qi and a[2] == "PER"]
        return before[-1][3] if before else None

    def _agreements(self, view: TokenView) -> list[tuple[int, int]]:
        triggers = trigger_words()
        stops = word_list("agreement_stops")
        cues = cue_words()
        extra = int(self.params.get("agreement_extra", DEFAULTS["agreement_extra"]))
        out: list[tuple[int, int]] = []
        i = 0
        n = len(view)
        while i < n:
            if view.norm[i] not in triggers:
                i += 1
                continue
            j = i
            while j + 1 < n and j - i < extra:
                w = view.norm[j + 1]
                if (
                    view.sent[j + 1] != view.sent[i]
                    or view.words[j + 1] in PUNCT
                    or w in stops
                    or w in cues
                    or w in COMPLEMENTIZERS
                ):
                    break
                j += 1
            out.append((i, j))
            i = j + 1
        return out
