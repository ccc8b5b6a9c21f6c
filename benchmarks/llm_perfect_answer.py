"""The bound on what `ittifaq align` loses: a perfect string-level answer built from gold.

Writes, for each document of a bundled split, the response record `ittifaq llm run` would write if
the model had answered with the gold strings themselves (`llm.answer.answer_from_document`). Aligning
and scoring it measures only what alignment loses (README, "Alignment policy"):

    python benchmarks/llm_perfect_answer.py validation > perfect.jsonl
    ittifaq align perfect.jsonl --split validation --out perfect.pred.jsonl
    ittifaq score --split validation --pred perfect.pred.jsonl --alignment perfect.pred.alignment.json --n-boot 0
"""

from __future__ import annotations

import sys

import orjson

from ittifaq.evaluate.io.documents import load_corpus
from ittifaq.evaluate.llm.answer import answer_from_document


def main(split: str) -> None:
    for d in load_corpus(split):
        record = {"id": d.id, "model": "gold-strings", "prompt": {"tag": "gold-strings"},
                  "answer": answer_from_document(d), "status": "ok"}
        sys.stdout.buffer.write(orjson.dumps(record) + b"\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test")
