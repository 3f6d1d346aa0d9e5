"""Exact identity keys (email, phone) found in a post or its author's profile."""

from __future__ import annotations

import phonenumbers

from groundswell.enrichment.base import Entities
from groundswell.ingestion.schemas import Author


def normalise_email(value: str) -> str | None:
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        return None
    return value


_SHARED_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
}


def normalise_phone(value: str, region: str = "US") -> str | None:
    """E.164 form of a valid phone number, else None."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def is_personal_phone(e164: str) -> bool:
    """False for business lines (toll-free, premium, shared-cost, UAN numbers).

    Customers quote a company's hotline in complaints ("called 1-800-433-7300 twice");
    such a number says nothing about who they are and must never link two people.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) not in _SHARED_NUMBER_TYPES


def exact_keys(author: Author, entities: Entities) -> list[tuple[str, str, str]]:
    """(kind, value, source) triples, profile first: a profile field is the stronger claim."""
    out: list[tuple[str, str, str]] = []
    if author.email and (email := normalise_email(author.email)):
        out.append(("email", email, "profile"))
    if author.phone and (phone := normalise_phone(author.phone)) and is_personal_phone(phone):
        out.append(("phone", phone, "profile"))
    out.extend(("email", e, "profile") for e in entities.profile_emails)
    out.extend(("phone", p, "profile") for p in entities.profile_phones if is_personal_phone(p))
    out.extend(("email", e, "post") for e in entities.emails)
    out.extend(("phone", p, "post") for p in entities.phones if is_personal_phone(p))
    seen: set[tuple[str, str]] = set()
    unique = []
    for kind, value, source in out:
        if (kind, value) not in seen:
            seen.add((kind, value))
            unique.append((kind, value, source))
    return unique
