"""A poll's result with the items the connector refused, so the runner can dead-letter them.

``Polled`` is a ``Fetched`` (the runner's protocol type) that also carries refusals: a
malformed or unknown item from a network is kept with its reason and never stops the rest
of the page, nor raises out of ``fetch``. An outage or refused credentials raise
``channels.errors.SourceError`` / ``NeedsReauth`` for the runner; a rate limit is
``retry_after``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from groundswell.channels.base import Fetched

PAYLOAD_PREVIEW = 4000
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One inbound item refused: which one, why, and a bounded copy of what came."""

    ref: str
    reason: str
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class Polled(Fetched):
    rejected: tuple[Refusal, ...] = ()
    ignored: int = 0
    """Items of kinds the connector deliberately skips (favourites, follows, deletes)."""


def preview(value: Any) -> str:
    try:
        text = orjson.dumps(value, default=str).decode()
    except TypeError:
        text = repr(value)
    return text[:PAYLOAD_PREVIEW]


def validation_reason(exc: ValidationError) -> str:
    """The first error as ``field: message`` (what a dead letter shows)."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "invalid"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def parse_items(
    model: type[M], items: list[Any], *, ref: Callable[[int, Any], str]
) -> tuple[list[M], list[Refusal]]:
    """Validate each item alone; a bad one becomes a ``Refusal`` and the rest go through."""
    good: list[M] = []
    bad: list[Refusal] = []
    for index, item in enumerate(items):
        try:
            good.append(model.model_validate(item))
        except ValidationError as exc:
            bad.append(Refusal(ref(index, item), validation_reason(exc), preview(item)))
    return good, bad


def item_ref(prefix: str, key: str = "id") -> Callable[[int, Any], str]:
    """``prefix:<id>`` when the item has an id, else ``prefix#<index>``."""

    def make(index: int, item: Any) -> str:
        if isinstance(item, dict):
            value = item.get(key)
            if isinstance(value, str | int) and len(str(value)) <= 200:
                return f"{prefix}:{value}"
        return f"{prefix}#{index}"

    return make
