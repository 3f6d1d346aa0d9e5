"""Users and API tokens. Functions take a session and never commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from groundswell.auth.audit import Actor, record
from groundswell.auth.models import ApiToken, User
from groundswell.auth.passwords import UNKNOWN_USER_HASH, hash_password, verify_password
from groundswell.auth.schemas import UserCreate, UserRead
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError

TOKEN_PREFIX = "gsk_"  # noqa: S105 - a public prefix, not a secret


def create_user(session: Session, *, data: UserCreate) -> UserRead:
    if session.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise InvalidInputError(f"a user with email {data.email!r} exists", field="email")
    user = User(
        email=data.email,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password),
        active=True,
    )
    session.add(user)
    session.flush()
    return UserRead.model_validate(user)


def authenticate(session: Session, *, email: str, password: str) -> UserRead | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        # Hash anyway so a missing user costs the same time as a wrong password.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return UserRead.model_validate(user)


def get_user(session: Session, *, user_id: int) -> UserRead | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return UserRead.model_validate(user)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_digest = token_digest


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_api_token(session: Session, *, user_id: int, name: str) -> str:
    """Create a token with every scope its user's role allows, and no expiry.

    Returns it in clear text, the only time it is available. Operators create scoped,
    expiring tokens through ``auth.admin.create_token`` (API, admin page, CLI).
    """
    token = new_token_secret()
    session.add(ApiToken(name=name, token_hash=_digest(token), user_id=user_id))
    session.flush()
    return token


@dataclass(frozen=True)
class TokenPrincipal:
    """Who a bearer token acts as, and what it may do."""

    user: UserRead
    token_id: int
    scopes: frozenset[str]


# Writing last_used_at on every call would make every API read a write.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


TOKEN_USE_AUDIT_EVERY = timedelta(hours=1)
"""A token's use is written to the audit log at most once per this period, not per request."""


def _audit_use(session: Session, row: ApiToken, *, user_email: str, now: datetime) -> None:
    """Record "token used" once an hour: a conditional update decides, so two requests
    at the same moment (or two processes) do not both write the entry."""
    if row.audited_at is not None and now - row.audited_at < TOKEN_USE_AUDIT_EVERY:
        return
    claimed = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == row.id,
            or_(ApiToken.audited_at.is_(None), ApiToken.audited_at <= now - TOKEN_USE_AUDIT_EVERY),
        )
        .values(audited_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        return
    row.audited_at = now
    record(
        session,
        actor=Actor(user_id=row.user_id, label=user_email),
        action="token.used",
        target_type="token",
        target_id=row.id,
        target=row.name,
    )


def authenticate_token(session: Session, *, token: str) -> TokenPrincipal | None:
    """The principal of a live token: not revoked, not expired, of an active user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked.is_(False))
    )
    now = utcnow()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = get_user(session, user_id=row.user_id)
    if user is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_RESOLUTION:
        row.last_used_at = now
    _audit_use(session, row, user_email=user.email, now=now)
    scopes = frozenset(s for s in row.scopes.split(",") if s)
    return TokenPrincipal(user=user, token_id=row.id, scopes=scopes)


def verify_api_token(session: Session, *, token: str) -> UserRead | None:
    principal = authenticate_token(session, token=token)
    return principal.user if principal else None


_DUMMY_HASH = UNKNOWN_USER_HASH
"""What a login for an unknown or inactive user is checked against (tests swap it)."""
