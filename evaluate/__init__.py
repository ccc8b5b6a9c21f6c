"""Reading, validation, scoring, reports and the CLI of ittifaq (see ARCHITECTURE.md)."""

from __future__ import annotations

import importlib
from typing import Any

#: The public API -> the module that defines it; loaded on first use, so `import ittifaq.evaluate` stays cheap.
_PUBLIC = {
    "score": "ittifaq.evaluate.scoring.pipeline",
    "score_files": "ittifaq.evaluate.scoring.files",
    "read_columns": "ittifaq.evaluate.io.documents",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(name)
    return getattr(importlib.import_module(_PUBLIC[name]), name)
