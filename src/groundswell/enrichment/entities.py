"""Contact details and order references mentioned in a post or a profile.

Emails and phone numbers are exact keys the CRM uses to link a social handle to a known
contact, so precision matters more than recall: phones must be valid numbers (libphonenumber),
and order references need a keyword ("order", "booking ref", "case #") in front of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from groundswell.enrichment.base import Entities

ENTITIES_VERSION = "regex-phonenumbers+gs1"

DEFAULT_REGION = "US"
"""Region assumed for numbers written without a country code."""
MIN_PHONE_DIGITS = 7
"""libphonenumber's matcher is slow; texts with fewer digits cannot hold a phone number."""

_EMAIL = re.compile(
    r"(?<![\w.%+-])[a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9_%+-])?"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])",
    re.IGNORECASE,
)
_EMAIL_HINT = re.compile(r"[\w.%+-]@[a-z0-9]", re.IGNORECASE)
"""Cheap pre-check: most posts contain "@" only as handles, preceded by a space."""
_NON_DIGIT = re.compile(r"\D+")

_ORDER = re.compile(
    r"\b(?P<kind>order|booking|reservation|confirmation|conf|ticket|case|pnr|record\s+locator"
    r"|reference|ref|tracking|claim|incident)\b"
    r"(?:\s+(?P<noun>number|num|nbr|no|nr|id|code|ref|reference|locator))?\.?"
    r"(?:\s+(?:is|was))?"
    r"\s*(?P<mark>[#:]|n[o°º]\.?)?\s*"
    r"#?(?P<ref>[a-z0-9][a-z0-9-]{2,30}[a-z0-9])(?![\w-])",
    re.IGNORECASE,
)
_LOCATOR_KINDS = {"pnr", "record"}
_CODE_NOUNS = {"code", "ref", "reference", "locator", "number", "num", "nbr", "no", "nr"}


def extract_emails(text: str) -> tuple[str, ...]:
    """Lower-cased email addresses, in order of first appearance."""
    if "@" not in text or _EMAIL_HINT.search(text) is None:
        return ()
    return _unique(m.group(0).lower() for m in _EMAIL.finditer(text))


def extract_phones(text: str, *, exclude: tuple[tuple[int, int], ...] = ()) -> tuple[str, ...]:
    """Valid phone numbers in E.164, skipping any that overlap the ``exclude`` spans.

    ``exclude`` holds the spans of order references, so "booking ref 2125550199" is an
    order and not a New York phone number.
    """
    if len(_NON_DIGIT.sub("", text)) < MIN_PHONE_DIGITS:
        return ()
    import phonenumbers

    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION):
        if any(match.start < end and start < match.end for start, end in exclude):
            continue
        if phonenumbers.is_valid_number(match.number):
            found.append(
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            )
    return _unique(found)


def _is_reference(ref: str, kind: str, noun: str | None, mark: str | None) -> bool:
    """Whether the word after an order keyword looks like a reference rather than prose.

    References carry a digit ("12345", "AB-123456"); airline-style record locators may be
    five to eight letters ("QWERTY"), accepted only in capitals and after an explicit code
    marker ("code", "ref", "#", "PNR"), so a shouted "BOOKING TODAY" is not one. Without a
    marker a bare number needs six characters, so "order 2 bags" or "ticket 1500 miles" stay
    prose. A long word with a single digit is a hashtag or slang ("#1lesscustomer").
    """
    compact = ref.replace("-", "")
    if len(compact) < 4:
        return False
    digits = sum(c.isdigit() for c in compact)
    if digits == 1 and len(compact) - digits >= 7:
        return False
    if digits:
        if noun is None and mark is None:
            return len(compact) >= 6 or any(c.isalpha() for c in compact)
        return True
    marked = kind in _LOCATOR_KINDS or noun in _CODE_NOUNS or mark is not None
    return marked and ref.isupper() and 5 <= len(compact) <= 8


def extract_orders(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Upper-cased order/booking/ticket/case references and the spans they occupy."""
    refs: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _ORDER.finditer(text):
        kind = m.group("kind").lower().split()[0]
        noun = m.group("noun")
        if _is_reference(m.group("ref"), kind, noun.lower() if noun else None, m.group("mark")):
            refs.append(m.group("ref").upper())
            spans.append(m.span("ref"))
    return _unique(refs), tuple(spans)


def extract_entities(text: str, bio: str | None = None) -> Entities:
    """Entities of a post, plus emails and phones from the author's bio kept apart."""
    orders, spans = extract_orders(text)
    profile_emails: tuple[str, ...] = ()
    profile_phones: tuple[str, ...] = ()
    if bio:
        profile_emails, profile_phones = extract_contacts(bio)
    return Entities(
        emails=extract_emails(text),
        phones=extract_phones(text, exclude=spans),
        orders=orders,
        profile_emails=profile_emails,
        profile_phones=profile_phones,
    )


def extract_contacts(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Emails and phones only: what a profile bio can tell about its owner."""
    return extract_emails(text), extract_phones(text)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
