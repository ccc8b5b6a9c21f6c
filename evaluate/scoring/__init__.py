"""Scoring: alignment, matching, per-document counts, metrics, bootstrap, reports, signatures.

`score`, `score_files`, `count`, `report`, `compare` and `agree` are importable from here; they load on
first use, so importing one sub-module does not import them all.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "score": "pipeline",
    "count": "pipeline",
    "report": "pipeline",
    "Counted": "pipeline",
    "ScoreReport": "report",
    "score_files": "files",
    "compare": "compare",
    "agree": "compare",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
