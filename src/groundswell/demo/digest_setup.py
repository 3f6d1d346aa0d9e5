"""The demo's digest subscription: the demo admin gets the brand's daily digest at 07:00 UTC.

The demo's SMTP settings are whatever the environment says (none by default), so the
e-mail waits in the outbox, visible as a delivery; the Digest page shows the figures live.
"""

from __future__ import annotations

from sqlalchemy import select

from groundswell.analytics.digest.models import DigestSubscription
from groundswell.core.db import Database
from groundswell.listening.models import Subject

DEMO_BRAND = "United"


def ensure_digest_subscription(db: Database, *, email: str) -> bool:
    with db.session() as session:
        brand = session.scalar(select(Subject).where(Subject.name == DEMO_BRAND))
        if brand is None:
            return False
        exists = session.scalar(
            select(DigestSubscription.id).where(
                DigestSubscription.email == email, DigestSubscription.subject_id == brand.id
            )
        )
        if exists is not None:
            return False
        session.add(
            DigestSubscription(
                email=email, subject_id=brand.id, period="day", send_hour=7, timezone="UTC"
            )
        )
        return True
