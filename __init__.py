"""ittifaq: an Arabic international-relations corpus and the toolkit that scores systems on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ittifaq.evaluate.schema import Document

__all__ = ["__version__", "load"]


def load(split: str | None = None, path: str | None = None) -> list[Document]:
    """Typed documents of the bundled corpus (or of the JSONL files under `path`)."""
    from ittifaq.evaluate.io.documents import load_corpus

    return load_corpus(split=split, path=path)
