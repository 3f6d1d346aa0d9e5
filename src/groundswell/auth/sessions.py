"""Browser sessions kept server-side, so they can be ended before the cookie expires.

The signed cookie holds the user id and a random session id; a request is logged in only
while the row for that id is open, belongs to that user, has not expired and the user is
active. Logging out ends the row, so a copied cookie stops working at once; a password
change, a deactivation or an admin's "end sessions" ends all of a user's rows.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from groundswell.auth.models import User, UserSession
from groundswell.auth.ops_schemas import SessionRead
from groundswell.auth.schemas import UserRead
from groundswell.core.clock import utcnow

# Writing last_seen_at on every request would make every page view a write.
_TOUCH_EVERY = timedelta(minutes=5)
# Ended and expired sessions stay this long for the admin's eyes, then are deleted.
_KEEP_ENDED = timedelta(days=30)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(
    session: Session,
    *,
    user_id: int,
    max_age_seconds: int,
    address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Start a session and return its id for the cookie (the only copy in clear)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    # Keep the table small: a user's sessions that ended or expired long ago go.
    session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .where(
            ((UserSession.ended_at.is_not(None)) & (UserSession.ended_at < now - _KEEP_ENDED))
            | (UserSession.expires_at < now - _KEEP_ENDED)
        )
    )
    session.add(
        UserSession(
            session_hash=_digest(session_id),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=max_age_seconds),
            address=address[:64] if address else None,
            user_agent=user_agent[:300] if user_agent else None,
        )
    )
    session.flush()
    return session_id


def session_user(session: Session, *, user_id: object, session_id: object) -> UserRead | None:
    """The user of a live session, or ``None`` for a closed, expired or foreign one."""
    if not isinstance(user_id, int) or not isinstance(session_id, str) or not session_id:
        return None
    row = session.scalar(
        select(UserSession).where(UserSession.session_hash == _digest(session_id[:200]))
    )
    now = utcnow()
    if row is None or row.user_id != user_id or row.ended_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return UserRead.model_validate(user)


def end_session(session: Session, *, session_id: object, reason: str = "logout") -> bool:
    if not isinstance(session_id, str) or not session_id:
        return False
    result = session.execute(
        update(UserSession)
        .where(UserSession.session_hash == _digest(session_id[:200]))
        .where(UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return bool(getattr(result, "rowcount", 0))


def end_user_sessions(session: Session, *, user_id: int, reason: str) -> int:
    """End every open session of a user; returns how many were open."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id)
        .where(UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(session: Session, *, user_id: int) -> list[SessionRead]:
    rows = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id)
        .where(UserSession.ended_at.is_(None))
        .where(UserSession.expires_at > utcnow())
        .order_by(UserSession.id.desc())
    )
    return [SessionRead.model_validate(row) for row in rows]


def count_open_sessions(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(UserSession.user_id, func.count())
        .where(UserSession.ended_at.is_(None))
        .where(UserSession.expires_at > utcnow())
        .group_by(UserSession.user_id)
    )
    return {int(user_id): int(n) for user_id, n in rows}
