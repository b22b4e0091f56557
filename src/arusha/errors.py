"""Errors a user can act on. The CLI prints them as one line and a hint, never a traceback."""

from __future__ import annotations


class ArushaError(Exception):
    """An error with a hint telling the user what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
