"""Progressive profiling: a signed, expiring link where a customer says who they are.

An agent copies the link into a reply on whatever channel the customer wrote on. The
customer opens it (no login), gives an email address or an order number and says which
contact they agree to (service, marketing). When no contact has that key, it is added to
the identity's contact. When another contact has it, the two contacts go to the review
queue (``/matches``) with the customer's statement as evidence, and a person confirms the
merge (logged in the merge log): the statement is unverified, and merging on it alone
would let anyone who knows a customer's email attach themselves to that customer's
record. Either way the identity's ``linked_by`` names the link as evidence.

The token is signed with the app's secret (itsdangerous, as the CSAT link) with its
own salt, names the identity and the contact it was issued for, and expires. A link is
used once: a successful answer records it (``profiling_link_uses``) in the transaction
that links the key, and the row's primary key makes one of two simultaneous answers fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError
from groundswell.crm.clv.models import Transaction
from groundswell.crm.consent import record_consent
from groundswell.crm.keys import normalise_email
from groundswell.crm.matching.service import propose_pair
from groundswell.crm.models import Contact, ContactKey, Identity
from groundswell.crm.profiling_models import ProfilingLinkUse

SALT = "groundswell.profiling"
SOURCE = "profiling link"
ORDER_KEY_KIND = "order"
MAX_TOKEN = 500
USED = (
    "this link has already been used and your answer was saved; "
    "ask us for a new link if something changed"
)
CLAIM_PROBABILITY = 0.9
"""Shown with a customer's claim in the review queue; a person decides, never the score."""


class ProfilingRefused(ValueError):
    """A link that cannot be used: expired (410) or not one of ours (404)."""

    def __init__(self, reason: str, *, status: int = 410) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class LinkTarget:
    identity_id: int
    contact_id: int
    platform: str
    handle: str | None
    digest: str
    """Of the token's signed part: the key that marks the link used."""
    expires_at: datetime


@dataclass(frozen=True)
class ProfilingResult:
    contact_id: int
    linked: str
    """``key added``, ``already linked`` or ``queued for review``."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def make_token(session: Session, *, identity_id: int, secret: str) -> str:
    identity = session.get(Identity, identity_id)
    if identity is None or identity.contact_id is None or identity.is_brand:
        raise InvalidInputError("a profiling link needs a customer identity", field="identity_id")
    return _serializer(secret).dumps({"i": identity.id, "c": identity.contact_id})


def link_text(public_url: str, token: str) -> str:
    """What the agent pastes into a reply."""
    return (
        "So we can help you faster next time, tell us your email or order number here: "
        f"{public_url.rstrip('/')}/p/{token}"
    )


def _digest(token: str) -> str:
    """The signature covers the text before the last ``.`` exactly; the signature's own
    base64 may be written more than one way, so it is left out of the key."""
    return hashlib.sha256(token.rsplit(".", 1)[0].encode()).hexdigest()


def target_of(session: Session, *, token: str, secret: str, max_age_s: int) -> LinkTarget:
    """The identity a valid, unused link names; else why not (expired, used: 410)."""
    token = token[:MAX_TOKEN]
    try:
        data, issued = _serializer(secret).loads(token, max_age=max_age_s, return_timestamp=True)
    except SignatureExpired:
        raise ProfilingRefused("this link has expired; ask us for a new one") from None
    except BadSignature:
        raise ProfilingRefused("this link is not valid", status=404) from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise ProfilingRefused("this link is not valid", status=404)
    digest = _digest(token)
    if session.get(ProfilingLinkUse, digest) is not None:
        raise ProfilingRefused(USED)
    identity = session.get(Identity, data["i"])
    if identity is None or identity.contact_id is None:
        raise ProfilingRefused("this link is no longer valid", status=404)
    return LinkTarget(
        identity_id=identity.id,
        contact_id=identity.contact_id,
        platform=identity.platform,
        handle=identity.handle,
        digest=digest,
        expires_at=issued.astimezone(UTC) + timedelta(seconds=max_age_s),
    )


def _use(session: Session, target: LinkTarget) -> None:
    """Mark the link used (and forget expired ones). Two answers at once: on PostgreSQL the
    second insert waits for the first transaction and fails on the key; SQLite's write
    lock lets the second read the row in ``target_of``."""
    now = utcnow()
    session.execute(delete(ProfilingLinkUse).where(ProfilingLinkUse.expires_at < now))
    session.add(
        ProfilingLinkUse(token_digest=target.digest, used_at=now, expires_at=target.expires_at)
    )
    try:
        session.flush()
    except IntegrityError:
        raise ProfilingRefused(USED) from None


def _owner(session: Session, kind: str, value: str) -> int | None:
    owner = session.scalar(
        select(ContactKey.contact_id).where(ContactKey.kind == kind, ContactKey.value == value)
    )
    if owner is None and kind == ORDER_KEY_KIND:
        owner = session.scalar(
            select(Transaction.contact_id).where(Transaction.external_id == value).limit(1)
        )
    return _live(session, owner) if owner is not None else None


def _live(session: Session, contact_id: int) -> int:
    """The contact a merged-away contact lives on in (merges may chain)."""
    for _ in range(20):
        contact = session.get(Contact, contact_id)
        if contact is None or contact.merged_into_id is None:
            return contact_id
        contact_id = contact.merged_into_id
    return contact_id


def submit(
    session: Session,
    *,
    target: LinkTarget,
    email: str,
    order: str,
    service: bool,
    marketing: bool,
) -> ProfilingResult:
    """Link the identity by the key the customer gave and record their consent."""
    email, order = email.strip(), " ".join(order.split())
    if not email and not order:
        raise InvalidInputError("give an email address or an order number", field="email")
    keys: list[tuple[str, str]] = []
    if email:
        value = normalise_email(email)
        if value is None or len(value) > 320:
            raise InvalidInputError("that does not look like an email address", field="email")
        keys.append(("email", value))
    if order:
        if len(order) > 100 or not order.replace("-", "").replace("#", "").isalnum():
            raise InvalidInputError(
                "an order number is up to 100 letters, digits, '-' or '#'", field="order"
            )
        keys.append((ORDER_KEY_KIND, order.lstrip("#")))
    identity = session.get(Identity, target.identity_id)
    if identity is None or identity.contact_id is None:
        raise ProfilingRefused("this link is no longer valid", status=404)
    _use(session, target)
    contact_id = _live(session, identity.contact_id)
    outcome = "already linked"
    who = f"{target.platform}:{target.handle}" if target.handle else target.platform
    for kind, value in keys:
        owner = _owner(session, kind, value)
        if owner is None:
            session.add(
                ContactKey(contact_id=contact_id, kind=kind, value=value, source=SOURCE[:64])
            )
            session.flush()
            outcome = "key added" if outcome == "already linked" else outcome
        elif owner != contact_id:
            propose_pair(
                session,
                owner,
                contact_id,
                probability=CLAIM_PROBABILITY,
                evidence=[
                    {
                        "field": SOURCE,
                        "level": "customer statement (unverified)",
                        "detail": f"the customer behind {who} gave {kind} {value}"[:300],
                        "weight": 0.0,
                        "agrees": True,
                    }
                ],
            )
            outcome = "queued for review"
        identity.linked_by = f"{SOURCE}: {kind}:{value}"[:400]
    for purpose, granted in (("service", service), ("marketing", marketing)):
        record_consent(
            session, identity_id=identity.id, purpose=purpose, granted=granted, source=SOURCE
        )
    session.flush()
    return ProfilingResult(contact_id=contact_id, linked=outcome)
