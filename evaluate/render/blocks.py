"""Regenerated blocks inside hand-written Markdown files (the card's statistics, the README's results)."""

from __future__ import annotations


def replace_block(text: str, start: str, end: str, content: str) -> str:
    """Replace what stands between two marker comments (markers kept)."""
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return text
    return text[: i + len(start)] + "\n" + content + text[j:]
