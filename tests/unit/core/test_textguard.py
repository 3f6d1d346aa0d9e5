"""JSON from outside is refused at the edge when a store or serialiser would fail on it."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from groundswell.core.textguard import (
    MAX_JSON_DEPTH,
    MAX_JSON_NODES,
    MAX_JSON_STRING,
    check_json_value,
)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = [value]
    return value


def test_ordinary_json_passes_unchanged() -> None:
    raw = {
        "id": "1",
        "user": {"screen_name": "a", "followers": 12, "verified": False},
        "entities": {"hashtags": [{"text": "x", "indices": [0, 2]}], "urls": []},
        "score": 0.5,
        "place": None,
        "ordered": OrderedDict(a=1),
    }
    assert check_json_value(raw) is raw
    assert check_json_value(_nested(MAX_JSON_DEPTH)) is not None
    assert check_json_value(["s"] * (MAX_JSON_NODES - 1)) is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": "x\x00y"}, "a string with a NUL character"),
        ({"a": ["ok", {"b": "\x00"}]}, "a string with a NUL character"),
        ({"a\x00": 1}, "a key with a NUL character"),
        ({1: "a"}, "a key with a NUL character"),
        ({"a": "x" * (MAX_JSON_STRING + 1)}, "longer than"),
        ({"a": [float("nan")]}, "not finite"),
        ({"a": float("-inf")}, "not finite"),
        ({"a": 2**64}, "outside the 64-bit range"),
        ({"a": {1, 2}}, "holds a set, not JSON"),
        (_nested(MAX_JSON_DEPTH + 2), "nested more than"),
        (["s"] * (MAX_JSON_NODES + 1), "more than"),
        ([[1]] * MAX_JSON_NODES, "more than"),
    ],
)
def test_what_a_store_cannot_take_is_refused_with_its_reason(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_json_value(value)


def test_a_hostile_depth_does_not_reach_the_recursion_limit() -> None:
    with pytest.raises(ValueError, match="nested more than"):
        check_json_value(_nested(100_000))
