"""Recording and reading consent; which channels carry private messages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.consent_models import Consent
from groundswell.crm.models import Identity
from groundswell.crm.visibility import PRIVATE_CHANNELS, PRIVATE_ROLES, is_private, may_see_private

__all__ = [
    "PRIVATE_CHANNELS",
    "PRIVATE_ROLES",
    "ConsentRead",
    "consents_of",
    "is_private",
    "may_see_private",
    "record_consent",
]

Purpose = Literal["service", "marketing"]
PURPOSES: tuple[str, ...] = ("service", "marketing")


class ConsentRead(BaseModel):
    identity_id: int
    platform: str
    handle: str | None
    purpose: str
    granted: bool | None
    """None: never asked."""
    source: str | None
    recorded_at: datetime | None


def record_consent(
    session: Session,
    *,
    identity_id: int,
    purpose: str,
    granted: bool,
    source: str,
    recorded_at: datetime | None = None,
) -> None:
    """Append one statement; ``recorded_at`` is when the person gave it (default: now),
    for statements that reach the CRM after they were made (a web chat's consent box)."""
    if purpose not in PURPOSES:
        raise InvalidInputError(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
    if session.get(Identity, identity_id) is None:
        raise NotFoundError("identity", identity_id)
    if not source.strip():
        raise InvalidInputError("say where the consent came from", field="source")
    row = Consent(identity_id=identity_id, purpose=purpose, granted=granted, source=source[:200])
    if recorded_at is not None:
        row.recorded_at = recorded_at
    session.add(row)
    session.flush()


def consents_of(session: Session, *, contact_id: int) -> list[ConsentRead]:
    """The latest statement per identity and purpose (None where never asked)."""
    identities = list(
        session.execute(
            select(Identity.id, Identity.platform, Identity.handle)
            .where(Identity.contact_id == contact_id)
            .order_by(Identity.id)
        )
    )
    latest: dict[tuple[int, str], Consent] = {}
    if identities:
        for row in session.scalars(
            select(Consent)
            .where(Consent.identity_id.in_([i for i, _, _ in identities]))
            .order_by(Consent.id)
        ):
            latest[(row.identity_id, row.purpose)] = row
    out = []
    for ident, platform, handle in identities:
        for purpose in PURPOSES:
            c = latest.get((ident, purpose))
            out.append(
                ConsentRead(
                    identity_id=ident,
                    platform=platform,
                    handle=handle,
                    purpose=purpose,
                    granted=c.granted if c else None,
                    source=c.source if c else None,
                    recorded_at=c.recorded_at if c else None,
                )
            )
    return out
