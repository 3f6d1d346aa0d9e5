"""API batches share the native format's validation: ``validate_items``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from groundswell.ingestion.formats import (
    Accepted,
    Rejected,
    describe_validation_error,
    validate_items,
)
from groundswell.ingestion.schemas import InboundPost

CONTEXT: dict[str, object] = {
    "now": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    "max_future_skew": timedelta(minutes=5),
}


def item(external_id: str, **overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "channel": "api",
        "external_id": external_id,
        "text": "hello",
        "created_at": "2024-05-01T10:00:00Z",
        "author": {"external_id": "u1"},
    }
    record.update(overrides)
    return record


def test_batch_keeps_good_items_and_names_bad_ones() -> None:
    items: list[object] = [
        item("a"),
        "just a string",
        item("c", author={"external_id": "u", "followers": "many"}),
        item("d"),
    ]
    results = validate_items(items, context=CONTEXT)
    assert [r.ref for r in results] == ["item 0", "item 1", "item 2", "item 3"]
    assert [r.post.external_id for r in results if isinstance(r, Accepted)] == ["a", "d"]
    not_object, mistyped = (r for r in results if isinstance(r, Rejected))
    assert (not_object.field, not_object.reason) == (None, "is a string, not a JSON object")
    assert not_object.payload == '"just a string"'
    assert mistyped.field == "author.followers"
    assert mistyped.payload is not None
    assert '"followers":"many"' in mistyped.payload


def test_ref_prefix() -> None:
    results = validate_items([None], ref_prefix="post")
    assert results == [Rejected("post 0", None, "is null, not a JSON object", "null")]


def test_describe_validation_error_single() -> None:
    with pytest.raises(ValidationError) as info:
        InboundPost.model_validate(item("a", text="  "))
    assert describe_validation_error(info.value) == ("text", "text is empty")


def test_describe_validation_error_counts_the_rest() -> None:
    with pytest.raises(ValidationError) as info:
        InboundPost.model_validate({"channel": "x"})
    field, reason = describe_validation_error(info.value)
    assert field == "external_id"
    assert reason == ("external_id is required (and 3 more errors: text, created_at, author)")
