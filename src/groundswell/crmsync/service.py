"""CRM connections: add, list, pause; settings checked before anything is stored.

Functions take a session and never commit. The base URL passes the outbound guard when
saved (a clear 422 naming ``base_url``) and again before every request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.credentials import decrypt, encrypt
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.crmsync.models import CrmConflict, CrmConnection, CrmLink, CrmOutbox
from groundswell.crmsync.schemas import ConnectionIn, ConnectionOut
from groundswell.settings import Settings

SECRET_FIELDS = ("client_secret", "access_token")


class ConnectionNotFound(NotFoundError, LookupError):
    def __init__(self, key: object) -> None:
        super().__init__("CRM connection", key)


def _check(data: ConnectionIn, policy: OutboundPolicy) -> None:
    if data.system == "salesforce":
        if not data.client_id:
            raise InvalidInputError(
                "client_id: Salesforce needs the connected app's consumer key", field="client_id"
            )
        if not data.client_secret:
            raise InvalidInputError(
                "client_secret: Salesforce needs the connected app's consumer secret",
                field="client_secret",
            )
    elif not data.access_token:
        raise InvalidInputError(
            "access_token: HubSpot needs a private app access token", field="access_token"
        )
    try:
        policy.check_url(data.base_url, must_resolve=False)
    except OutboundRefusedError as exc:
        raise InvalidInputError(f"base_url: {exc}", field="base_url") from None


def create_connection(
    session: Session,
    *,
    settings: Settings,
    policy: OutboundPolicy,
    data: ConnectionIn,
    standin: bool = False,
) -> ConnectionOut:
    _check(data, policy)
    if session.scalar(select(CrmConnection.id).where(CrmConnection.name == data.name)):
        raise InvalidInputError(f"name: a connection named {data.name!r} exists", field="name")
    secrets = {k: getattr(data, k) for k in SECRET_FIELDS if getattr(data, k)}
    connection = CrmConnection(
        name=data.name,
        system=data.system,
        base_url=data.base_url.rstrip("/"),
        config={"client_id": data.client_id, "scope": data.scope, "standin": standin},
        credentials=encrypt(settings, secrets),
        enabled=data.enabled,
        status="new" if data.enabled else "paused",
        pushed_total=0,
        pulled_total=0,
        error_count=0,
    )
    session.add(connection)
    session.flush()
    return to_out(session, connection, settings)


def get_connection(session: Session, connection_id: int) -> CrmConnection:
    connection = session.get(CrmConnection, connection_id)
    if connection is None:
        raise ConnectionNotFound(connection_id)
    return connection


def secrets_of(settings: Settings, connection: CrmConnection) -> dict[str, Any]:
    return decrypt(settings, connection.credentials)


def to_out(session: Session, connection: CrmConnection, settings: Settings) -> ConnectionOut:
    try:
        stored = sorted(secrets_of(settings, connection))
    except Exception:
        stored = []
    linked = dict(
        session.execute(
            select(CrmLink.local_kind, func.count())
            .where(CrmLink.connection_id == connection.id)
            .group_by(CrmLink.local_kind)
        ).all()
    )
    queued = session.scalar(
        select(func.count()).select_from(CrmOutbox).where(CrmOutbox.connection_id == connection.id)
    )
    conflicts = session.scalar(
        select(func.count())
        .select_from(CrmConflict)
        .where(CrmConflict.connection_id == connection.id, CrmConflict.status == "open")
    )
    config = connection.config or {}
    return ConnectionOut(
        id=connection.id,
        name=connection.name,
        system=connection.system,
        base_url=connection.base_url,
        client_id=config.get("client_id"),
        scope=config.get("scope", "cases"),
        enabled=connection.enabled,
        status=connection.status,
        status_detail=connection.status_detail,
        secrets_set=stored,
        last_sync_at=connection.last_sync_at,
        next_attempt_at=connection.next_attempt_at,
        pull_cursor=connection.pull_cursor,
        pushed_total=connection.pushed_total,
        pulled_total=connection.pulled_total,
        linked={str(k): int(v) for k, v in linked.items()},
        queued=int(queued or 0),
        open_conflicts=int(conflicts or 0),
        error_count=connection.error_count,
        last_error=connection.last_error,
        last_error_at=connection.last_error_at,
        standin=bool(config.get("standin")),
    )


def list_connections(session: Session, *, settings: Settings) -> list[ConnectionOut]:
    rows = session.scalars(select(CrmConnection).order_by(CrmConnection.id))
    return [to_out(session, c, settings) for c in rows]


def connection_out(session: Session, *, settings: Settings, connection_id: int) -> ConnectionOut:
    return to_out(session, get_connection(session, connection_id), settings)


def set_enabled(
    session: Session, *, settings: Settings, connection_id: int, enabled: bool
) -> ConnectionOut:
    connection = get_connection(session, connection_id)
    connection.enabled = enabled
    connection.status = "new" if enabled else "paused"
    connection.next_attempt_at = None
    session.flush()
    return to_out(session, connection, settings)


def delete_connection(session: Session, *, connection_id: int) -> None:
    """Forget a connection and its links; the records stay in the CRM."""
    session.delete(get_connection(session, connection_id))
    session.flush()
