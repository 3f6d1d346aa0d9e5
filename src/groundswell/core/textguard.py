"""Checks for text and JSON from outside that the stores and serialisers cannot take.

PostgreSQL refuses NUL in text and ``\\u0000`` in JSONB; every serialiser recurses on
nested JSON and ours refuses integers beyond 64 bits. A value that would fail later (in
the worker, after the client was told "accepted") is refused here instead, at the edge.
"""

from __future__ import annotations

import re
from typing import Any

from groundswell.core.bounds import MAX_INT64, MIN_INT64

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls and DEL, except tab, line feed and carriage return."""

MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 10_000
MAX_JSON_STRING = 100_000


def strip_control(value: str) -> str:
    return CONTROL.sub("", value)


def refuse_control(value: str) -> str:
    """For identifiers, URLs and names: a control character is a fault, not decoration."""
    if CONTROL.search(value):
        raise ValueError("contains control characters")
    return value


def check_json_value(value: Any) -> Any:
    """Refuse JSON deeper than ``MAX_JSON_DEPTH``, bigger than ``MAX_JSON_NODES``, holding
    NUL in strings or keys (PostgreSQL's JSONB cannot hold it), integers outside 64 bits,
    or non-finite numbers. Iterative, so a hostile depth never reaches the recursion limit
    here. Every post's ``raw`` passes through this twice (at the edge and again in the
    worker), so strings, the common leaves, are checked where they are met instead of
    being stacked."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"is nested more than {MAX_JSON_DEPTH} levels deep")
            children: Any = item
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str) or "\x00" in key:
                        raise ValueError("has a key with a NUL character")
                children = item.values()
            for child in children:
                if type(child) is str:
                    nodes += 1
                    _check_string(child)
                else:
                    stack.append((child, depth + 1))
        else:
            _check_leaf(item)
        if nodes > MAX_JSON_NODES:
            raise ValueError(f"has more than {MAX_JSON_NODES} values")
    return value


def _check_string(item: str) -> None:
    if len(item) > MAX_JSON_STRING:
        raise ValueError(f"has a string longer than {MAX_JSON_STRING} characters")
    if "\x00" in item:
        raise ValueError("has a string with a NUL character")


def _check_leaf(item: Any) -> None:
    if isinstance(item, str):
        _check_string(item)
    elif isinstance(item, bool) or item is None:
        return
    elif isinstance(item, int):
        if not MIN_INT64 <= item <= MAX_INT64:
            raise ValueError("has an integer outside the 64-bit range")
    elif isinstance(item, float):
        if item != item or item in (float("inf"), float("-inf")):
            raise ValueError("has a number that is not finite")
    else:
        raise ValueError(f"holds a {type(item).__name__}, not JSON")
