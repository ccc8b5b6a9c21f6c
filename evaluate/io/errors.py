"""The two exceptions of reading: bad input a user must fix, and input the fast reader cannot vouch for."""

from __future__ import annotations


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
