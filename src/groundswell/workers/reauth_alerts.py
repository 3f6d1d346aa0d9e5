"""A channel whose credentials stopped working tells every admin, once per transition.

A refused login stops the channel's reading (the runner) or its replies (the sender)
until an admin enters new credentials, so nobody may learn it from the Channels page by
chance. The move to ``needs_reauth`` is one conditional UPDATE: of the sources and
senders that hit the refusal at the same moment, exactly one wins and notifies; retries
while the channel stays in ``needs_reauth`` only refresh the detail. Saving new settings
moves the channel back to ``new`` (``channels.runtime.service.update_account``), which
arms the next alert.

Each active admin gets an in-app notice (shown in their inbox and on the Channels page),
an e-mail when SMTP is configured, and webhook subscribers get ``channel.needs_reauth``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.notify.events import emit
from groundswell.notify.models import Delivery

EVENT = "channel_reauth"
"""The outbox ``event`` of the admins' notices."""
WEBHOOK_EVENT = "channel.needs_reauth"


def what_to_do(name: str, key: str) -> str:
    return (
        f"What to do: create new credentials on the network for {name} and enter them "
        f"under “New credentials” on the Channels page (/channels), or send them with "
        f"PATCH /api/v1/channels/{key}. Reading and replies on it stay stopped until then."
    )


def mark_needs_reauth(
    session: Session, *, account_id: int, reason: str, email: bool = False
) -> bool:
    """Set the channel to ``needs_reauth``; on the transition, alert the admins.

    Returns True when this call made the transition (and so sent the alerts)."""
    detail = reason[:2000]
    moved = session.execute(
        update(ChannelAccount)
        .where(ChannelAccount.id == account_id, ChannelAccount.status != "needs_reauth")
        .values(status="needs_reauth", status_detail=detail)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.id == account_id)
            .values(status_detail=detail)
            .execution_options(synchronize_session=False)
        )
        return False
    account = session.get(ChannelAccount, account_id)
    if account is None:  # pragma: no cover - the UPDATE just found it
        return False
    _alert_admins(session, account=account, reason=detail, email=email)
    return True


def _alert_admins(session: Session, *, account: ChannelAccount, reason: str, email: bool) -> None:
    todo = what_to_do(account.name, account.key)
    payload: dict[str, Any] = {
        "title": f"Channel {account.name} needs re-authentication",
        "lines": [f"Channel: {account.name} ({account.key}, {account.kind})", reason, todo],
        "channel": account.key,
        "path": "/channels",
    }
    admins = session.execute(
        select(User.id, User.email).where(User.role == "admin", User.active.is_(True))
    ).all()
    for user_id, address in admins:
        session.add(Delivery(event=EVENT, kind="in_app", target=str(user_id), payload=payload))
        if email and address:
            session.add(Delivery(event=EVENT, kind="email", target=address, payload=payload))
    emit(
        session,
        WEBHOOK_EVENT,
        {"channel": account.key, "name": account.name, "kind": account.kind, "reason": reason},
    )
    session.flush()
