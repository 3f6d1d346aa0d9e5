"""Exact keys: what may link a handle to a contact, and what must not."""

from __future__ import annotations

from groundswell.crm.keys import exact_keys, is_personal_phone, normalise_email
from groundswell.enrichment.base import Entities
from groundswell.ingestion.schemas import Author


def test_profile_keys_come_first_and_are_normalised() -> None:
    author = Author(external_id="1", email=" Alice@Example.COM ", phone="(415) 555-2671")
    keys = exact_keys(author, Entities(emails=("alice@example.com", "bob@example.org")))
    assert keys == [
        ("email", "alice@example.com", "profile"),
        ("phone", "+14155552671", "profile"),
        ("email", "bob@example.org", "post"),
    ]


def test_business_numbers_never_become_keys() -> None:
    hotline = "+18004337300"  # quoted by customers complaining to an airline
    assert not is_personal_phone(hotline)
    assert exact_keys(Author(external_id="1"), Entities(phones=(hotline,))) == []
    assert exact_keys(Author(external_id="1", phone="1-800-433-7300"), Entities()) == []


def test_personal_numbers_are_keys() -> None:
    assert exact_keys(Author(external_id="1"), Entities(phones=("+14155552671",))) == [
        ("phone", "+14155552671", "post")
    ]


def test_invalid_emails_are_dropped() -> None:
    assert normalise_email("not-an-email") is None
    assert normalise_email("a@b") is None
    assert normalise_email("x y@example.com") is None


def test_keys_found_in_the_bio_count_as_profile_keys() -> None:
    keys = exact_keys(
        Author(external_id="1"),
        Entities(profile_emails=("me@example.com",), emails=("other@example.com",)),
    )
    assert keys == [("email", "me@example.com", "profile"), ("email", "other@example.com", "post")]
