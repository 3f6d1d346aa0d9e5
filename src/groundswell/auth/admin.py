"""Operating users, API tokens and sessions: the actions behind the admin API, page and CLI.

Every action is written to the audit log by the same function that performs it, so no
edge can forget to. Functions take a session and never commit.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.auth import sessions
from groundswell.auth.audit import Actor, record
from groundswell.auth.models import ApiToken, User
from groundswell.auth.ops_schemas import (
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserAdminCreate,
    UserAdminRead,
    UserUpdate,
)
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.passwords import hash_password, verify_password
from groundswell.auth.schemas import UserCreate, UserRead
from groundswell.auth.service import create_user, new_token_secret, token_digest
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError


class ForbiddenActionError(InvalidInputError):
    """An action the caller may not take on this target (e.g. deactivating oneself)."""


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def user_email(session: Session, *, user_id: int) -> str:
    return _user(session, user_id).email


def user_by_email(session: Session, *, email: str) -> UserRead:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError("user", email)
    return UserRead.model_validate(user)


def list_users(session: Session) -> list[UserAdminRead]:
    open_counts = sessions.count_open_sessions(session)
    now = utcnow()
    token_counts = dict(
        session.execute(
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked.is_(False))
            .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
            .group_by(ApiToken.user_id)
        ).all()
    )
    return [
        UserAdminRead(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            created_at=user.created_at,
            open_sessions=open_counts.get(user.id, 0),
            active_tokens=int(token_counts.get(user.id, 0)),
        )
        for user in session.scalars(select(User).order_by(User.email))
    ]


def add_user(
    session: Session, *, data: UserAdminCreate, policy: PasswordPolicy, actor: Actor
) -> UserRead:
    policy.check(data.password, user_inputs=(data.email, data.name or ""))
    user = create_user(
        session,
        data=UserCreate(email=data.email, password=data.password, role=data.role, name=data.name),
    )
    record(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        target=user.email,
        details={"role": user.role},
    )
    return user


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        or 0
    )


def update_user(session: Session, *, user_id: int, data: UserUpdate, actor: Actor) -> UserRead:
    """Deactivate, reactivate or change the role of a user.

    Deactivating ends the user's sessions at once and their tokens stop working (a token
    acts only for an active user). The last active admin cannot be removed, and nobody
    deactivates themselves, so an installation cannot lock itself out.
    """
    user = _user(session, user_id)
    changes: dict[str, object] = {}
    losing_admin = user.role == "admin" and user.active
    if data.active is False and user.active:
        if actor.user_id == user.id:
            raise ForbiddenActionError("you cannot deactivate yourself", field="active")
        if losing_admin and _active_admins(session) <= 1:
            raise ForbiddenActionError(
                "the last active admin cannot be deactivated", field="active"
            )
        user.active = False
        ended = sessions.end_user_sessions(session, user_id=user.id, reason="deactivated")
        changes["active"] = False
        changes["sessions_ended"] = ended
    elif data.active is True and not user.active:
        user.active = True
        changes["active"] = True
    if data.role is not None and data.role != user.role:
        if losing_admin and data.role != "admin" and _active_admins(session) <= 1:
            raise ForbiddenActionError("the last active admin must stay admin", field="role")
        changes["role"] = {"from": user.role, "to": data.role}
        user.role = data.role
    session.flush()
    if changes:
        action = "user.update"
        if changes.get("active") is False:
            action = "user.deactivate"
        elif changes.get("active") is True:
            action = "user.reactivate"
        record(
            session,
            actor=actor,
            action=action,
            target_type="user",
            target_id=user.id,
            target=user.email,
            details=changes,
        )
    return UserRead.model_validate(user)


def change_password(
    session: Session,
    *,
    user_id: int,
    data: PasswordChange,
    policy: PasswordPolicy,
    actor: Actor,
    require_current: bool,
) -> int:
    """Set a new password and end every session of the user; returns sessions ended.

    Users changing their own password must give the current one, so a borrowed
    logged-in browser cannot lock its owner out.
    """
    user = _user(session, user_id)
    if require_current and not verify_password(user.password_hash, data.current_password or ""):
        raise InvalidInputError("the current password is wrong", field="current_password")
    policy.check(data.new_password, user_inputs=(user.email, user.name or ""))
    user.password_hash = hash_password(data.new_password)
    ended = sessions.end_user_sessions(session, user_id=user.id, reason="password")
    record(
        session,
        actor=actor,
        action="user.password",
        target_type="user",
        target_id=user.id,
        target=user.email,
        details={"sessions_ended": ended},
    )
    return ended


def end_sessions(session: Session, *, user_id: int, actor: Actor) -> int:
    user = _user(session, user_id)
    ended = sessions.end_user_sessions(session, user_id=user.id, reason="ended by admin")
    record(
        session,
        actor=actor,
        action="user.end_sessions",
        target_type="user",
        target_id=user.id,
        target=user.email,
        details={"sessions_ended": ended},
    )
    return ended


def _scopes(value: str) -> list[str]:
    return [s for s in value.split(",") if s]


def _token_read(row: ApiToken, email: str) -> TokenRead:
    now = utcnow()
    return TokenRead(
        id=row.id,
        name=row.name,
        user_id=row.user_id,
        user_email=email,
        scopes=_scopes(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        active=not row.revoked and (row.expires_at is None or row.expires_at > now),
    )


def list_tokens(session: Session, *, user_id: int | None = None) -> list[TokenRead]:
    query = select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    rows = session.execute(query.order_by(ApiToken.id.desc()))
    return [_token_read(token, email) for token, email in rows]


def create_token(
    session: Session, *, data: TokenCreate, actor: Actor, max_days: int
) -> TokenCreated:
    """Create a scoped token; the clear token is in the result and nowhere else."""
    user_id = data.user_id or actor.user_id
    if user_id is None:
        raise InvalidInputError("say which user the token acts as", field="user_id")
    user = _user(session, user_id)
    if not user.active:
        raise InvalidInputError(f"user {user.email!r} is deactivated", field="user_id")
    scopes = sorted(set(data.scopes), key=("read", "ingest", "engage", "admin").index)
    if "admin" in scopes and user.role != "admin":
        raise InvalidInputError(
            f"the admin scope needs an admin user; {user.email!r} is {user.role}", field="scopes"
        )
    if data.expires_in_days > max_days:
        raise InvalidInputError(
            f"a token may live at most {max_days} days", field="expires_in_days"
        )
    clear = new_token_secret()
    now = utcnow()
    row = ApiToken(
        name=data.name,
        token_hash=token_digest(clear),
        user_id=user.id,
        scopes=",".join(scopes),
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="token.create",
        target_type="token",
        target_id=row.id,
        target=f"{data.name} ({user.email})",
        details={
            "scopes": scopes,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    return TokenCreated(**_token_read(row, user.email).model_dump(), token=clear)


def revoke_token(session: Session, *, token_id: int, actor: Actor) -> TokenRead:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError("token", token_id)
    email = _user(session, row.user_id).email
    if not row.revoked:
        row.revoked = True
        row.revoked_at = utcnow()
        session.flush()
        record(
            session,
            actor=actor,
            action="token.revoke",
            target_type="token",
            target_id=row.id,
            target=f"{row.name} ({email})",
        )
    return _token_read(row, email)
