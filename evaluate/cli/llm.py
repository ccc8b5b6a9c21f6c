"""`ittifaq llm prompt` and `ittifaq llm run`: versioned prompts for a split, and sending them to an
OpenAI-compatible chat-completions endpoint with a response cache."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import click

from ittifaq.evaluate.io.atomic import check_outputs, write_outputs
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import SPLITS


@click.group()
def llm() -> None:
    """Score large language models: build prompts, run them against a chat-completions endpoint.

    \b
    The chain, with a local server (llama.cpp's llama-server, vLLM, Ollama):
      ittifaq llm prompt --split test -k 3 --out prompts.jsonl
      ittifaq llm run prompts.jsonl --base-url http://localhost:8080/v1 --model MODEL --out responses.jsonl
      ittifaq align responses.jsonl --split test --out pred.jsonl
      ittifaq score --split test --pred pred.jsonl --alignment pred.alignment.json
    """


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
    """Write one chat prompt per document (JSON Lines: id, prompt tag, messages).

    The tag (e.g. v1-en-k3-s12345: template version, language, k, seed) goes into the signature of
    any score made from these prompts. Examples come from the train split only.
    """
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
@click.argument("prompts", type=click.Path(dir_okay=False))
@click.option("--base-url", required=True, help="The endpoint's base URL, e.g. http://localhost:8080/v1.")
@click.option("--model", required=True, help="The model name the endpoint serves.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, help="Environment variable that holds the API key (none needed for a local server).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Parsed responses (JSON Lines); raw ones go beside it as *.raw.jsonl.")
@click.option("--temperature", type=float, default=0.0, show_default=True, help="Sampling temperature (part of the cache key).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=4096, show_default=True, help="Most tokens a reply may have; a reply cut there is a failure.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Requests in flight at once.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True, help="Seconds the server may stay silent (connecting or answering) before the attempt fails.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True, help="Retries on 429, 5xx, time-outs and refused connections.")
@click.option("--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True, help="First wait in seconds; doubles each retry.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None, help="Response cache (default: ~/.cache/ittifaq/llm).")
def run(prompts, base_url, model, api_key_env, out, temperature, max_tokens, concurrency, timeout, retries, backoff, cache_dir) -> None:  # noqa: ANN001
    """Send PROMPTS (the output of `ittifaq llm prompt`) to an OpenAI-compatible chat-completions endpoint.

    Responses are cached by endpoint, model, prompt and parameters, so a rerun sends nothing and a
    killed run resumes. A reply that is not JSON is repaired only by counted steps (fenced block,
    outermost braces, trailing commas), else recorded as a failure for its document. If the endpoint
    cannot be reached or answers 401/403/404, the run stops after one request and writes nothing (exit 2).
    """
    import orjson
    from tqdm import tqdm

    from ittifaq.evaluate.llm.cache import ResponseCache, default_dir
    from ittifaq.evaluate.llm.client import ChatClient
    from ittifaq.evaluate.llm.run import EndpointFailed, run_prompts

    try:
        u = urlsplit(base_url)
        u.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        u = urlsplit("")
    if u.scheme not in ("http", "https") or not u.hostname:
        raise InputError(f"--base-url {base_url!r} is not an http(s) URL with a host, e.g. http://localhost:8080/v1")
    raw_out = out[:-6] + ".raw.jsonl" if out.endswith(".jsonl") else out + ".raw.jsonl"
    check_outputs([out, raw_out], [prompts])
    from ittifaq.evaluate.llm.records import read_records

    records = read_records(prompts, need=("id", "messages"), what="prompt record of `ittifaq llm prompt`",
                           types={"messages": (list,)})
    client = ChatClient(base_url, model, api_key=os.environ.get(api_key_env) or None, timeout=timeout, retries=retries, backoff=backoff)
    params = {"temperature": temperature, "max_tokens": max_tokens}
    try:
        with tqdm(total=len(records), desc="llm run", unit="doc", disable=None, leave=False) as bar:
            parsed, raw, stats = run_prompts(records, client, ResponseCache(cache_dir or default_dir()), params,
                                             concurrency=concurrency, progress=lambda: bar.update(1))
    except EndpointFailed as exc:
        raise InputError(f"llm run: {exc}") from None
    write_outputs({out: b"".join(orjson.dumps(r) + b"\n" for r in parsed),
                   raw_out: b"".join(orjson.dumps(r) + b"\n" for r in raw)})
    s = stats.to_dict()
    click.echo(f"{s['documents']} document(s): {s['requests']} sent ({s['attempts']} attempt(s)), {s['cached']} from the cache, "
               f"{s['failed']} failed; repairs {s['repairs'] or 'none'}; tokens {s['tokens'] or 'none'}", err=True)
    click.echo(f"-> {out}, {raw_out}", err=True)
