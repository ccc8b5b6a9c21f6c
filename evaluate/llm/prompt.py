"""The versioned prompt: instructions (English or Arabic), the answer's JSON Schema, and k few-shot
examples from the train split, chosen by seed.

`PROMPT_VERSION` changes whenever the wording, the schema or the way examples are chosen changes;
`prompt_tag` (version, language, k, seed) goes into the signature of every score made from these
prompts, so two LLM scores are comparable only under the same prompt.
"""

from __future__ import annotations

import json
import random
from typing import Any

from ittifaq.evaluate.llm.answer import ANSWER_SCHEMA, answer_from_document
from ittifaq.evaluate.schema import Document

PROMPT_VERSION = "1"
LANGS: tuple[str, ...] = ("en", "ar")

_EN = """You annotate Arabic news about international relations. Read the document and answer with one JSON
object that follows the schema below, and nothing else.

- actors: every mention of a person (PER), organization (ORG) or state, city or region (GPE), in order of
  appearance, copied exactly as written. Leave out proclitics (و ف ب ل ك): for وروسيا write روسيا; keep the
  article ال. Pronouns are not mentions. Give every mention of one actor the same key.
- agreements: every mention of an agreement, treaty, deal or memorandum, copied exactly, with its type, its
  status in the text, and the keys of its parties.
- quotes: reported speech or writing. content is the quoted content only, copied exactly: for a direct quote
  the words inside the quotation marks (marks excluded), for an indirect quote the clause after أن/إن to the
  end of the reported clause. cue is the verb or phrase that introduces it (قال، أكد، مشيرا، بحسب), without
  proclitics or a following preposition; speaker is the speaker's actor key; kind is direct or indirect;
  role is analyst, official, journalist or other.
- affiliations: a person's key and the key of the organization or state they belong to.

Copy every string character for character from the document; never translate, correct or shorten it."""

_AR = """أنت تُعلِّم أخبارا عربية عن العلاقات الدولية. اقرأ النص وأجب بكائن JSON واحد يتبع المخطط أدناه، ولا شيء غيره.

- actors: كل ذكر لشخص (PER) أو منظمة (ORG) أو دولة أو مدينة أو إقليم (GPE)، بترتيب وروده، منسوخا كما كُتب تماما.
  احذف السوابق (و ف ب ل ك): في «وروسيا» اكتب «روسيا»، وأبقِ «ال» التعريف. الضمائر ليست ذكرا. أعطِ كل ذكر
  لفاعل واحد المفتاح نفسه (key).
- agreements: كل ذكر لاتفاق أو معاهدة أو صفقة أو مذكرة، منسوخا كما هو، مع نوعه وحالته في النص ومفاتيح أطرافه.
- quotes: الكلام المنقول. content هو مضمون القول وحده منسوخا كما هو: في الاقتباس المباشر الكلمات بين علامتي
  التنصيص (دون العلامتين)، وفي غير المباشر الجملة التي بعد «أن» أو «إن» حتى نهاية الكلام المنقول. cue هو الفعل
  أو العبارة التي تقدّم القول (قال، أكد، مشيرا، بحسب) دون سوابق ودون حرف الجر التالي؛ speaker مفتاح القائل؛
  kind هو direct أو indirect؛ role هو analyst أو official أو journalist أو other.
- affiliations: مفتاح الشخص ومفتاح المنظمة أو الدولة التي ينتمي إليها.

انسخ كل نص حرفا بحرف من الوثيقة؛ لا تترجم ولا تصحح ولا تختصر."""

_INSTRUCTIONS = {"en": _EN, "ar": _AR}
_DOCUMENT = {"en": "Document:\n", "ar": "النص:\n"}
_SCHEMA = {"en": "JSON Schema of the answer:\n", "ar": "مخطط JSON للإجابة:\n"}


def prompt_tag(lang: str, k: int, seed: int) -> str:
    """What the signature names: `v<version>-<lang>-k<k>-s<seed>`."""
    return f"v{PROMPT_VERSION}-{lang}-k{k}-s{seed}"


def choose_examples(train: list[Document], k: int, seed: int) -> list[Document]:
    """k train documents drawn by `seed` from the documents sorted by id (the same k for a seed, whatever the file order)."""
    pool = sorted(train, key=lambda d: d.id)
    if any(d.split not in (None, "train") for d in pool):
        raise ValueError("few-shot examples come from the train split only")
    return random.Random(seed).sample(pool, min(k, len(pool)))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def build_prompts(docs: list[Document], examples: list[Document], lang: str = "en", seed: int = 12345) -> list[dict[str, Any]]:
    """One chat prompt per document: system instructions and schema, the examples as earlier turns, the document."""
    if lang not in LANGS:
        raise ValueError(f"unknown prompt language {lang!r} (one of {', '.join(LANGS)})")
    system = f"{_INSTRUCTIONS[lang]}\n\n{_SCHEMA[lang]}{_dumps(ANSWER_SCHEMA)}"
    shots: list[dict[str, str]] = []
    for ex in examples:
        shots += [{"role": "user", "content": _DOCUMENT[lang] + (ex.text or "")},
                  {"role": "assistant", "content": _dumps(answer_from_document(ex))}]
    meta = {"version": PROMPT_VERSION, "lang": lang, "k": len(examples), "seed": seed,
            "examples": [ex.id for ex in examples], "tag": prompt_tag(lang, len(examples), seed)}
    return [
        {"id": d.id, "prompt": meta,
         "messages": [{"role": "system", "content": system}, *shots, {"role": "user", "content": _DOCUMENT[lang] + (d.text or "")}]}
        for d in docs
    ]
