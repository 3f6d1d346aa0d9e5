"""Channel accounts: connect, configure, pause; the runner's leases and cursors.

Functions take a session and never commit. Leases are one conditional UPDATE each, which
both SQLite and PostgreSQL run atomically: a source is taken only when nobody holds it or
its holder's lease ran out, and a cursor is written only by the lease's holder, so a
runner that lost its lease (paused too long, partitioned) cannot move a cursor back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from groundswell.channels.runtime.budget import BudgetState, month_key
from groundswell.channels.runtime.kinds import Kind, get_kind
from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.channels.runtime.outbound import (
    OutboundFieldRefused,
    check_outbound_fields,
    policy_of,
)
from groundswell.channels.runtime.schemas import AccountIn, AccountOut, AccountUpdate, SourceOut
from groundswell.channels.runtime.secrets import decrypt, encrypt
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.outbound import OutboundPolicy
from groundswell.core.upsert import dialect_insert
from groundswell.settings import Settings


class AccountInvalid(InvalidInputError):
    """Settings that do not validate; ``field`` names the offending one (an API 422)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


class AccountNotFound(NotFoundError, LookupError):
    def __init__(self, key: str) -> None:
        super().__init__("channel", key)


def _validate(kind: Kind, values: dict[str, Any]) -> dict[str, Any]:
    try:
        model = kind.settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise AccountInvalid(
            f"settings.{field}: {first['msg']}", field=f"settings.{field}"
        ) from exc
    return model.model_dump(mode="json")


def _check_outbound(kind: Kind, values: dict[str, Any], policy: OutboundPolicy) -> None:
    """The kind's URL settings through the outbound guard; a name that does not resolve
    yet may be saved (the source checks again, resolving, before it connects)."""
    try:
        check_outbound_fields(kind, values, policy, must_resolve=False)
    except OutboundFieldRefused as exc:
        raise AccountInvalid(
            f"settings.{exc.field}: {exc.reason}", field=f"settings.{exc.field}"
        ) from None


def _split(kind: Kind, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    config = {k: v for k, v in values.items() if k not in kind.secret_fields}
    secrets = {k: v for k, v in values.items() if k in kind.secret_fields and v}
    return config, secrets


def to_out(account: ChannelAccount, sources: list[ChannelSource], settings: Settings) -> AccountOut:
    kind_secrets = get_kind(account.kind).secret_fields
    try:
        stored = sorted(decrypt(settings, account.credentials))
    except Exception:
        stored = []
    budget = _budget(account)
    return AccountOut(
        id=account.id,
        key=account.key,
        kind=account.kind,
        name=account.name,
        enabled=account.enabled,
        status=account.status,
        status_detail=account.status_detail,
        config={k: v for k, v in (account.config or {}).items() if k not in kind_secrets},
        secrets_set=stored,
        monthly_budget=account.monthly_budget,
        cost_per_read=account.cost_per_read,
        budget_month=account.budget_month,
        budget_used=budget.used,
        budget_shed=budget.shed(),
        rate_limits=account.rate_limits or {},
        standin=bool((account.config or {}).get("standin")),
        sources=[_source_out(s) for s in sorted(sources, key=lambda s: s.name)],
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def _source_out(s: ChannelSource) -> SourceOut:
    lag = None
    if s.last_event_at and s.last_read_at:
        lag = max(0.0, (s.last_read_at - s.last_event_at).total_seconds())
    return SourceOut(
        name=s.name,
        activity=s.activity,
        cursor=s.cursor,
        lease_owner=s.lease_owner,
        lease_until=s.lease_until,
        next_attempt_at=s.next_attempt_at,
        last_fetch_at=s.last_fetch_at,
        last_event_at=s.last_event_at,
        lag_seconds=lag,
        posts_total=s.posts_total,
        error_count=s.error_count,
        last_error=s.last_error,
        last_error_at=s.last_error_at,
    )


def _budget(account: ChannelAccount, now: datetime | None = None) -> BudgetState:
    month = month_key(now or utcnow())
    used = account.budget_used if account.budget_month == month else 0.0
    return BudgetState(monthly=account.monthly_budget, used=used)


def budget_state(account: ChannelAccount) -> BudgetState:
    return _budget(account)


def create_account(
    session: Session,
    *,
    settings: Settings,
    data: AccountIn,
    policy: OutboundPolicy | None = None,
) -> AccountOut:
    """``policy`` defaults to the admin's allow-list (``outbound_allow_hosts``)."""
    try:
        kind = get_kind(data.kind)
    except LookupError as exc:
        raise AccountInvalid(str(exc), field="kind") from exc
    key = data.key or kind.default_key
    if session.scalar(select(ChannelAccount.id).where(ChannelAccount.key == key)) is not None:
        raise AccountInvalid(f"a channel with key {key!r} is already connected", field="key")
    values = _validate(kind, data.settings)
    _check_outbound(kind, values, policy or policy_of(settings))
    config, secrets = _split(kind, values)
    now = utcnow()
    account = ChannelAccount(
        key=key,
        kind=kind.name,
        name=data.name,
        enabled=data.enabled,
        config=config,
        credentials=encrypt(settings, secrets) if secrets else None,
        status="new" if data.enabled else "paused",
        monthly_budget=data.monthly_budget,
        cost_per_read=data.cost_per_read,
        budget_used=0.0,
        rate_limits={},
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()
    return to_out(account, [], settings)


def get_account(session: Session, *, key: str) -> ChannelAccount:
    account = session.scalar(select(ChannelAccount).where(ChannelAccount.key == key))
    if account is None:
        raise AccountNotFound(key)
    return account


def account_out(session: Session, *, settings: Settings, key: str) -> AccountOut:
    account = get_account(session, key=key)
    sources = list(
        session.scalars(select(ChannelSource).where(ChannelSource.account_id == account.id))
    )
    return to_out(account, sources, settings)


def list_accounts(session: Session, *, settings: Settings) -> list[AccountOut]:
    accounts = list(session.scalars(select(ChannelAccount).order_by(ChannelAccount.key)))
    sources = list(session.scalars(select(ChannelSource)))
    by_account: dict[int, list[ChannelSource]] = {}
    for s in sources:
        by_account.setdefault(s.account_id, []).append(s)
    return [to_out(a, by_account.get(a.id, []), settings) for a in accounts]


def update_account(
    session: Session,
    *,
    settings: Settings,
    key: str,
    data: AccountUpdate,
    policy: OutboundPolicy | None = None,
) -> AccountOut:
    account = get_account(session, key=key)
    kind = get_kind(account.kind)
    if data.name is not None:
        account.name = data.name
    if data.monthly_budget is not None:
        account.monthly_budget = data.monthly_budget or None
    if data.cost_per_read is not None:
        account.cost_per_read = data.cost_per_read
    if data.settings is not None:
        stored = decrypt(settings, account.credentials)
        given = {k: v for k, v in data.settings.items() if not (k in kind.secret_fields and not v)}
        merged = {**(account.config or {}), **stored, **given}
        values = _validate(kind, merged)
        _check_outbound(kind, values, policy or policy_of(settings))
        config, secrets = _split(kind, values)
        account.config = config
        account.credentials = encrypt(settings, secrets) if secrets else None
        if account.status in {"needs_reauth", "error"}:
            account.status, account.status_detail = "new", "settings changed"
        session.execute(
            update(ChannelSource)
            .where(ChannelSource.account_id == account.id)
            .values(error_count=0, next_attempt_at=None)
        )
    account.updated_at = utcnow()
    session.flush()
    return account_out(session, settings=settings, key=key)


def set_enabled(session: Session, *, settings: Settings, key: str, enabled: bool) -> AccountOut:
    account = get_account(session, key=key)
    account.enabled = enabled
    account.status = "new" if enabled else "paused"
    account.status_detail = None if enabled else "paused by an admin"
    account.updated_at = utcnow()
    session.flush()
    return account_out(session, settings=settings, key=key)


def delete_account(session: Session, *, key: str) -> None:
    account = get_account(session, key=key)
    session.delete(account)
    session.flush()


def resolved_settings(account: ChannelAccount, settings: Settings) -> dict[str, Any]:
    """Config and decrypted secrets together: only for building the connector."""
    return {**(account.config or {}), **decrypt(settings, account.credentials)}


def set_status(
    session: Session, *, account_id: int, status: str, detail: str | None = None
) -> None:
    session.execute(
        update(ChannelAccount)
        .where(ChannelAccount.id == account_id)
        .values(status=status, status_detail=detail[:2000] if detail else None)
    )


# --- runner: sources, leases, cursors ----------------------------------------------------


def ensure_sources(session: Session, *, account_id: int, wanted: dict[str, str]) -> None:
    """Rows for the sources an account's connector offers (name → activity).

    Every runner (each process's, and the embedded worker's) calls this when it builds an
    account's connector, so two can race on the same new account: a read-then-insert let
    the slower one fail on the unique (account, name) key. The insert skips rows another
    runner has written, committed or not yet committed (PostgreSQL waits for it).
    """
    have = set(
        session.scalars(select(ChannelSource.name).where(ChannelSource.account_id == account_id))
    )
    missing = [
        {"account_id": account_id, "name": name, "activity": activity}
        for name, activity in wanted.items()
        if name not in have
    ]
    if missing:
        session.execute(
            dialect_insert(session, ChannelSource.__table__)
            .values(missing)
            .on_conflict_do_nothing(index_elements=["account_id", "name"])
        )
    session.flush()


def claim_lease(
    session: Session, *, source_id: int, owner: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the source's lease; False when another live runner holds it."""
    now = now or utcnow()
    result = session.execute(
        update(ChannelSource)
        .where(
            ChannelSource.id == source_id,
            or_(
                ChannelSource.lease_owner.is_(None),
                ChannelSource.lease_until < now,
                ChannelSource.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_lease(session: Session, *, source_id: int, owner: str) -> None:
    session.execute(
        update(ChannelSource)
        .where(ChannelSource.id == source_id, ChannelSource.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def record_fetch(
    session: Session,
    *,
    source_id: int,
    owner: str,
    cursor: str | None,
    posts: int,
    newest: datetime | None,
    cost: float,
    rate_limits: dict[str, Any] | None,
    now: datetime | None = None,
) -> bool:
    """After the posts are published: move the cursor (holder only), count, clear errors."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "cursor": cursor,
        "last_fetch_at": now,
        "posts_total": ChannelSource.posts_total + posts,
        "error_count": 0,
        "next_attempt_at": None,
    }
    if newest is not None:
        values["last_event_at"] = newest
        values["last_read_at"] = now
    result = session.execute(
        update(ChannelSource)
        .where(ChannelSource.id == source_id, ChannelSource.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    source = session.get(ChannelSource, source_id)
    if source is not None:
        account = session.get(ChannelAccount, source.account_id)
        if account is not None:
            month = month_key(now)
            if account.budget_month != month:
                account.budget_month, account.budget_used = month, 0.0
            account.budget_used += cost
            if rate_limits:
                account.rate_limits = rate_limits
            if account.status in {"new", "error", "degraded"}:
                account.status, account.status_detail = "ok", None
    session.flush()
    return True


def record_error(
    session: Session,
    *,
    source_id: int,
    reason: str,
    retry_at: datetime,
    now: datetime | None = None,
) -> int:
    """A failed fetch: the reason, when to try again; returns the consecutive count."""
    source = session.get(ChannelSource, source_id)
    if source is None:
        return 0
    source.error_count += 1
    source.last_error = reason[:2000]
    source.last_error_at = now or utcnow()
    source.next_attempt_at = retry_at
    session.flush()
    return source.error_count
