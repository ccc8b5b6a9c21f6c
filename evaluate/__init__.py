"""Reading, validation, scoring, reports and the CLI of ittifaq."""

from __future__ import annotations

from typing import Any

__all__ = ["read_columns", "score"]


def __getattr__(name: str) -> Any:
    # Lazy: `import ittifaq.evaluate` stays cheap; the scorer loads on first use.
    if name == "score":
        from ittifaq.evaluate.scoring.pipeline import score

        return score
    if name == "read_columns":
        from ittifaq.evaluate.io.documents import read_columns

        return read_columns
    raise AttributeError(name)
