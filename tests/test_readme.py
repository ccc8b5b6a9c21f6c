"""The README keeps its promises: the two commands, and results that match results/."""

from __future__ import annotations

import re

from support import REPO


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    block = readme.split("<!-- ci:test-command -->", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", block, re.S).group(1)
    assert "pytest" in command and "<!-- ci:test-command -->" in ci
    assert "python -m pytest -q -m slow" in ci, "CI runs the slow tests the README command leaves out"


def _without_timings(text: str) -> str:
    """Wall-clock seconds differ on every run and machine; every other line is deterministic."""
    return re.sub(r"(?m)^Seconds \(train \+ select / predict / score\): .*$", "Seconds: <timings>", text)


def test_readme_results_match_the_benchmark():
    # The README's first command (`ittifaq benchmark`) rewrites results/benchmark.md with this
    # machine's timings; the README must still match it, so only the scores are compared.
    from ittifaq.baselines.benchmark import readme_block

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- results:start -->\n", 1)[1].split("<!-- results:end -->", 1)[0]
    generated = readme_block((REPO / "results" / "benchmark.md").read_text(encoding="utf-8"))
    assert "Seconds (train + select / predict / score): " in generated
    assert _without_timings(block) == _without_timings(generated)


def test_card_ci_widths_match_the_benchmark():
    """The card's CI-width block is what `ittifaq benchmark --card` writes from results/benchmark.json."""
    import json

    from ittifaq.baselines.benchmark import (
        WIDTHS_END,
        WIDTHS_START,
        BenchmarkResult,
        load_references,
        widths_markdown,
    )

    saved = json.loads((REPO / "results" / "benchmark.json").read_text(encoding="utf-8"))
    result = BenchmarkResult(saved["signature"], saved["systems"], saved["meta"], saved["data"])
    card = (REPO / "corpus" / "README.md").read_text(encoding="utf-8")
    block = card.split(WIDTHS_START + "\n", 1)[1].split(WIDTHS_END, 1)[0]
    expected = "\n".join([f"Signature: `{result.signature}`", "", *widths_markdown(result, load_references(REPO / "results"))]).strip() + "\n"
    assert block == expected
