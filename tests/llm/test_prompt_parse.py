"""Prompts (versioned, seeded examples from train only) and the counted repair steps of a reply."""

from __future__ import annotations

import json

import pytest

from ittifaq.evaluate.llm.parse import parse_reply
from ittifaq.evaluate.llm.prompt import PROMPT_VERSION, build_prompts, choose_examples, prompt_tag
from ittifaq.evaluate.schema import Document

TRAIN = [Document(id=f"t{i}", text=f"نص تجريبي رقم {i}.", split="train") for i in range(8)]


def test_examples_depend_on_the_seed_not_the_file_order():
    a = [d.id for d in choose_examples(TRAIN, 3, seed=1)]
    assert a == [d.id for d in choose_examples(list(reversed(TRAIN)), 3, seed=1)]
    assert a != [d.id for d in choose_examples(TRAIN, 3, seed=2)]
    with pytest.raises(ValueError, match="train split only"):
        choose_examples([Document(id="x", text="t", split="test")], 1, seed=1)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_prompts_carry_the_schema_the_examples_and_the_tag(lang):
    docs = [Document(id="d1", text="وثيقة للاختبار.", split="test")]
    examples = choose_examples(TRAIN, 2, seed=5)
    (p,) = build_prompts(docs, examples, lang=lang, seed=5)
    assert p["prompt"]["tag"] == prompt_tag(lang, 2, 5) == f"v{PROMPT_VERSION}-{lang}-k2-s5"
    roles = [m["role"] for m in p["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert '"affiliations"' in p["messages"][0]["content"] and p["messages"][-1]["content"].endswith("وثيقة للاختبار.")
    assert json.loads(p["messages"][2]["content"]) == {"actors": [], "agreements": [], "quotes": [], "affiliations": []}
    assert ("Document" in p["messages"][-1]["content"]) == (lang == "en")


def test_repairs_are_applied_only_when_needed_and_recorded():
    good = '{"actors": []}'
    assert parse_reply(good).repairs == [] and parse_reply(good).answer == {"actors": []}
    assert parse_reply(f"```json\n{good}\n```").repairs == ["fence"]
    assert parse_reply(f"The answer is {good} as asked.").repairs == ["braces"]
    assert parse_reply('{"actors": [1, 2,],}').repairs == ["braces", "trailing_commas"]
    cut = parse_reply('{"actors": [{"text": "مصر"', finish_reason="length")
    assert cut.answer is None and "token limit" in cut.error
    assert parse_reply("").error == "empty reply" and parse_reply(None).answer is None
    assert "not valid JSON" in parse_reply("{'actors': []}").error
