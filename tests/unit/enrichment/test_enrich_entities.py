"""Entities: emails, valid phones in E.164, order-like references; false positives avoided."""

from __future__ import annotations

import pytest

from groundswell.enrichment.base import Entities
from groundswell.enrichment.entities import (
    extract_contacts,
    extract_emails,
    extract_entities,
    extract_orders,
    extract_phones,
)


def test_emails_are_lowercased_and_deduplicated() -> None:
    text = "@united mail John.Doe+trips@Example.COM (or john.doe+trips@example.com), thanks."
    assert extract_emails(text) == ("john.doe+trips@example.com",)


@pytest.mark.parametrize(
    "text",
    [
        "@united @delta thanks!",
        "meet me @ the gate",
        "price is 5@10.",
        "not an email: foo@bar",
    ],
)
def test_handles_and_lookalikes_are_not_emails(text: str) -> None:
    assert extract_emails(text) == ()


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("@united please call me at 310-795-2210.", ("+13107952210",)),
        ("my phone number is (631)891-5722", ("+16318915722",)),
        ("on hold with 1-800-428-4322 for an hour", ("+18004284322",)),
        ("call me 9148445695 asap", ("+19148445695",)),
        ("in London: +44 20 7946 0958", ("+442079460958",)),
        ("310-795-2210 or 310.795.2210", ("+13107952210",)),
    ],
)
def test_valid_phones_in_e164(text: str, phones: tuple[str, ...]) -> None:
    assert extract_phones(text) == phones


@pytest.mark.parametrize(
    "text",
    [
        "flight UA 1234 leaves at 10:30 from gate 22",
        "paid $1,234.56 for a seat",
        "landed 2/24/2015 at 11:35",
        "call 555-1234",
        "123-456-7890",
    ],
)
def test_times_prices_and_invalid_numbers_are_not_phones(text: str) -> None:
    assert extract_phones(text) == ()


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("My order #12345 never arrived", ("12345",)),
        ("order no. AB-123456 is missing", ("AB-123456",)),
        ("booking ref ABC123 please check", ("ABC123",)),
        ("confirmation code XYZ789", ("XYZ789",)),
        ("Confirmation # G8CVWJ - can I make it tonight?", ("G8CVWJ",)),
        ("Case #8477733, requesting a refund", ("8477733",)),
        ("case id 8473573. Requested on 2/5", ("8473573",)),
        ("ticket number: 4567-8910", ("4567-8910",)),
        ("e-ticket # 0162389030167, case id # 8465981", ("0162389030167", "8465981")),
        ("please help regarding PNR A3ZZ0F.", ("A3ZZ0F",)),
        ("record locator BSUXLU", ("BSUXLU",)),
        ("my order number is 98765", ("98765",)),
        ("bag claim #3526665682. Thanks!", ("3526665682",)),
        ("Incident: 150202-000419 Thank you!", ("150202-000419",)),
    ],
)
def test_order_like_references(text: str, orders: tuple[str, ...]) -> None:
    assert extract_orders(text)[0] == orders


@pytest.mark.parametrize(
    "text",
    [
        "Flight UA 123 was delayed",
        "I ordered 3 times",
        "order 2 bags",
        "ticket for $450 at 10:30",
        "order by 10:30pm",
        "in case 2015 repeats",
        "BOOKING TODAY NO WAY",
        "my confirmation email never came",
        "booked within 24 hours of my reservation #1lesscustomer",
        "the ticket counter at gate B12",
    ],
)
def test_prose_is_not_an_order(text: str) -> None:
    assert extract_orders(text)[0] == ()


def test_an_order_number_is_not_also_a_phone() -> None:
    entities = extract_entities("booking ref 2125550199, call me on 310-795-2210")
    assert entities.orders == ("2125550199",)
    assert entities.phones == ("+13107952210",)


def test_profile_contacts_are_kept_apart() -> None:
    entities = extract_entities(
        "@united my order #12345 is late, write to ops@example.com",
        bio="Travel blogger. Bookings: Jane@Example.org / +1 415 555 0132",
    )
    assert entities.emails == ("ops@example.com",)
    assert entities.orders == ("12345",)
    assert entities.phones == ()
    assert entities.profile_emails == ("jane@example.org",)
    assert entities.profile_phones == ("+14155550132",)
    assert entities.as_dict() == {
        "emails": ["ops@example.com"],
        "phones": [],
        "orders": ["12345"],
        "profile_emails": ["jane@example.org"],
        "profile_phones": ["+14155550132"],
    }


def test_without_profile_entries_the_stored_shape_is_unchanged() -> None:
    assert Entities().as_dict() == {"emails": [], "phones": [], "orders": []}


def test_contacts_only_for_a_bio() -> None:
    assert extract_contacts("Order #123456 fan. me@x.io") == (("me@x.io",), ())
