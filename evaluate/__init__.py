"""Reading, validation, scoring, reports and the CLI of ittifaq."""

from __future__ import annotations

from typing import Any

__all__ = ["score"]


def __getattr__(name: str) -> Any:
    # Lazy: `import ittifaq.evaluate` stays cheap; the scorer loads on first use.
    if name == "score":
        from ittifaq.evaluate.scoring import score

        return score
    raise AttributeError(name)
