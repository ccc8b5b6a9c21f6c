"""Scoring large language models on ittifaq: prompts, an OpenAI-compatible runner, and the
alignment of string answers to character offsets (`ittifaq llm prompt`, `ittifaq llm run`,
`ittifaq align`).

An LLM answers with strings, not offsets. `answer` fixes the JSON an answer must have,
`prompt` builds versioned prompts that ask for it, `client`/`cache`/`run` send them and keep
every response, `parse` turns a response into an answer by counted repair steps only,
`anchor`/`align` put the strings back on the text, and `endtoend` adds the unanchored items
to a score report. Nothing here is imported by `ittifaq score` unless `--alignment` is given.
"""
