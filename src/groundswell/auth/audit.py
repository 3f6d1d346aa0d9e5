"""The audit log: every user, token and session action, who did it and when.

Entries say what happened and to whom, never a secret: no password, no token, no
session id. ``details`` holds small facts such as scopes or an expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.auth.models import AuditEntry
from groundswell.auth.ops_schemas import AuditRead

FORBIDDEN_DETAIL_KEYS = frozenset({"password", "token", "secret", "session", "session_id"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, a token's user, or the command line."""

    user_id: int | None
    label: str
    address: str | None = None


CLI_ACTOR = Actor(user_id=None, label="cli")


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: int | str | None = None,
    target: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    clean = dict(details or {})
    leaked = FORBIDDEN_DETAIL_KEYS.intersection(clean)
    if leaked:
        raise ValueError(f"audit details must not hold secrets: {sorted(leaked)}")
    session.add(
        AuditEntry(
            actor_id=actor.user_id,
            actor=actor.label[:320],
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            target=None if target is None else target[:320],
            details=clean,
            address=actor.address[:64] if actor.address else None,
        )
    )
    session.flush()


def list_audit(
    session: Session,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> list[AuditRead]:
    """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return [AuditRead.model_validate(row) for row in session.scalars(query)]
