"""`ittifaq llm prompt` and `ittifaq llm run`: versioned prompts for a split, and sending them to an
OpenAI-compatible chat-completions endpoint with a response cache."""

from __future__ import annotations

import os

import click

from ittifaq.evaluate.io.atomic import check_outputs, write_outputs
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import SPLITS


@click.group()
def llm() -> None:
    """Score large language models: build prompts, run them against a chat-completions endpoint."""


def _docs(paths: tuple[str, ...], split: str) -> list:
    from ittifaq.evaluate.io.documents import load_corpus, read_documents

    return read_documents(list(paths)) if paths else load_corpus(split)


@llm.command()
@click.option("--gold", "gold", multiple=True, type=click.Path(exists=True), help="Documents to prompt for (default: the bundled split).")
@click.option("--split", type=click.Choice(SPLITS), default="test", show_default=True, help="Bundled split when --gold is not given.")
@click.option("--train", "train", multiple=True, type=click.Path(exists=True), help="Train file(s) for the examples (default: the bundled train split).")
@click.option("--lang", type=click.Choice(["en", "ar"]), default="en", show_default=True, help="Language of the instructions.")
@click.option("-k", "k", type=click.IntRange(min=0), default=3, show_default=True, help="Few-shot examples from the train split.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Chooses the examples (named in the prompt tag).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the prompts (JSON Lines) here instead of stdout.")
def prompt(gold, split, train, lang, k, seed, out) -> None:  # noqa: ANN001
    """Write one chat prompt per document (JSON Lines: id, prompt tag, messages)."""
    import orjson

    from ittifaq.evaluate.llm.prompt import build_prompts, choose_examples

    check_outputs([out], list(gold) + list(train))
    docs = _docs(gold, split)
    try:
        examples = choose_examples(_docs(train, "train"), k, seed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    overlap = {e.id for e in examples} & {d.id for d in docs}
    if overlap:
        raise InputError(f"few-shot example(s) {', '.join(sorted(overlap))} are also documents to predict")
    data = b"".join(orjson.dumps(p) + b"\n" for p in build_prompts(docs, examples, lang=lang, seed=seed))
    if out:
        write_outputs({out: data})
        click.echo(f"{len(docs)} prompt(s), {len(examples)} example(s) ({', '.join(e.id for e in examples)}) -> {out}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


@llm.command()
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False))
@click.option("--base-url", required=True, help="The endpoint's base URL, e.g. http://localhost:8080/v1.")
@click.option("--model", required=True, help="The model name the endpoint serves.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, help="Environment variable that holds the API key (none needed for a local server).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Parsed responses (JSON Lines); raw ones go beside it as *.raw.jsonl.")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=4096, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Requests in flight at once.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True, help="Seconds the server may stay silent (connecting or answering) before the attempt fails.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True, help="Retries on 429, 5xx, time-outs.")
@click.option("--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True, help="First wait in seconds; doubles each retry.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None, help="Response cache (default: ~/.cache/ittifaq/llm).")
def run(prompts, base_url, model, api_key_env, out, temperature, max_tokens, concurrency, timeout, retries, backoff, cache_dir) -> None:  # noqa: ANN001
    """Send the prompts to an OpenAI-compatible chat-completions endpoint; cached responses cost nothing."""
    import orjson
    from tqdm import tqdm

    from ittifaq.evaluate.llm.cache import ResponseCache, default_dir
    from ittifaq.evaluate.llm.client import ChatClient
    from ittifaq.evaluate.llm.run import run_prompts

    raw_out = out[:-6] + ".raw.jsonl" if out.endswith(".jsonl") else out + ".raw.jsonl"
    check_outputs([out, raw_out], [prompts])
    from ittifaq.evaluate.llm.records import read_records

    records = read_records(prompts, need=("id", "messages"), what="prompt record of `ittifaq llm prompt`")
    if any(not isinstance(r["messages"], list) for r in records):
        raise InputError(f"{prompts}: a prompt record's messages must be a list")
    client = ChatClient(base_url, model, api_key=os.environ.get(api_key_env) or None, timeout=timeout, retries=retries, backoff=backoff)
    params = {"temperature": temperature, "max_tokens": max_tokens}
    with tqdm(total=len(records), desc="llm run", unit="doc", disable=None) as bar:
        parsed, raw, stats = run_prompts(records, client, ResponseCache(cache_dir or default_dir()), params,
                                         concurrency=concurrency, progress=lambda: bar.update(1))
    write_outputs({out: b"".join(orjson.dumps(r) + b"\n" for r in parsed),
                   raw_out: b"".join(orjson.dumps(r) + b"\n" for r in raw)})
    s = stats.to_dict()
    click.echo(f"{s['documents']} document(s): {s['requests']} sent ({s['attempts']} attempt(s)), {s['cached']} from the cache, "
               f"{s['failed']} failed; repairs {s['repairs'] or 'none'}; tokens {s['tokens'] or 'none'}", err=True)
    click.echo(f"-> {out}, {raw_out}", err=True)
