"""The three-way rule and the name and time formats, without a database or a network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groundswell.crmsync.clients.salesforce import parse_sf_datetime, soql_datetime
from groundswell.crmsync.fields import compare, decide, join_name, payload_hash, split_name


@pytest.mark.parametrize(
    ("base", "local", "remote", "decision"),
    [
        ("a", "a", "a", "same"),
        ("a", "b", "a", "push"),
        ("a", "a", "b", "take_remote"),
        ("a", "b", "b", "same"),
        ("a", "b", "c", "conflict"),
        (None, "b", None, "push"),
        (None, None, "c", "take_remote"),
        (None, "b", "c", "conflict"),
        ("a", " a ", "", "take_remote"),
        ("", None, "  ", "same"),
    ],
)
def test_three_way_decision(
    base: str | None, local: str | None, remote: str | None, decision: str
) -> None:
    assert decide(base, local, remote) == decision


def test_compare_covers_the_shared_fields_only() -> None:
    changes = compare(
        {"name": "Ana", "email": "a@x", "phone": "1"},
        {"name": "Ana", "email": "new@x", "phone": "2", "company": "Local"},
        {"name": "Ana B", "email": "a@x", "phone": "3", "company": "Remote"},
    )
    assert [(c.field, c.decision) for c in changes] == [
        ("name", "take_remote"),
        ("email", "push"),
        ("phone", "conflict"),
    ]


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Ana Maria Costa", ("Ana Maria", "Costa")),
        ("Cy", (None, "Cy")),
        (None, (None, "(unknown)")),
        ("  ", (None, "(unknown)")),
    ],
)
def test_names_split_and_join_back(name: str | None, parts: tuple[str | None, str]) -> None:
    assert split_name(name) == parts
    assert join_name(*parts) == (name.strip() or None if name else None)


def test_payload_hash_ignores_key_order() -> None:
    assert payload_hash({"a": 1, "b": "x"}) == payload_hash({"b": "x", "a": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})


def test_salesforce_times() -> None:
    parsed = parse_sf_datetime("2026-11-26T20:15:03.250+0000")
    assert parsed == datetime(2026, 11, 26, 20, 15, 3, 250000, tzinfo=UTC)
    assert soql_datetime(parsed.isoformat()) == "2026-11-26T20:15:03Z"
    assert soql_datetime(None) == "1970-01-01T00:00:00Z"
