"""The two exceptions of reading: bad input a user must fix, and input the fast reader cannot vouch for."""

from __future__ import annotations

import unicodedata

#: Bidi embeddings, overrides and isolates: they reorder what a terminal shows after them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_safe(text: str, keep_newlines: bool = True) -> str:
    """`text` with control characters escaped (`\\x1b`, `\\u202e`), so that a message quoting input
    cannot move the cursor, retitle the window or clear the screen; line breaks are kept only if asked."""
    keep = "\n\t" if keep_newlines else ""
    out = []
    for c in text:
        if c in keep or not (unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS or c in "\u2028\u2029"):
            out.append(c)
        else:
            out.append(c.encode("unicode_escape").decode("ascii"))
    return "".join(out)


class InputError(Exception):
    """Bad input that a user must fix; the CLI prints it and exits non-zero.

    `documents` names the documents at fault by side ("gold", "pred"), so that a caller
    that knows the files can say where they are (`locate`).
    """

    def __init__(self, message: str, documents: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.documents = documents or {}


class Unsure(Exception):
    """The fast path cannot vouch for the input; the full validator must look at it."""
