"""Errors shared across domains."""

from __future__ import annotations


class GroundswellError(Exception):
    """Base class for errors the project raises on purpose."""


class NotFoundError(GroundswellError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class InvalidInputError(GroundswellError):
    """Input from outside was refused; ``field`` names what was wrong."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
