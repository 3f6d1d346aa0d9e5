"""The audit log: every user, token and session action, who did it and when.

Entries say what happened and to whom, never a secret: no password, no token, no
session id. ``details`` holds small facts such as scopes or an expiry.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
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


def actor_from_label(label: str) -> Actor:
    """An actor from a domain's ``actor`` string (``user:ann@x``, ``cli``, ``auto``…).

    Services below the web layer know who acted only by that label; the audit entry keeps
    it (without the ``user:`` prefix) so the log can be filtered by the same e-mail.
    """
    return Actor(user_id=None, label=label.removeprefix("user:") or "unknown")


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


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer and the export narrow the log to (all optional)."""

    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[AuditEntry]) -> Select[AuditEntry]:
        if self.action is not None:
            query = query.where(AuditEntry.action == self.action)
        if self.actor is not None:
            query = query.where(AuditEntry.actor == self.actor)
        if self.since is not None:
            query = query.where(AuditEntry.at >= self.since)
        if self.until is not None:
            query = query.where(AuditEntry.at < self.until)
        return query


def list_audit(
    session: Session,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    actor: str | None = None,
    until: datetime | None = None,
) -> list[AuditRead]:
    """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    query = AuditFilter(action=action, actor=actor, since=since, until=until).apply(query)
    return [AuditRead.model_validate(row) for row in session.scalars(query)]


def audit_actions(session: Session) -> list[str]:
    """Every action name in the log (for the viewer's filter)."""
    return sorted(str(a) for a in session.scalars(select(AuditEntry.action).distinct()))


CSV_COLUMNS = ("id", "at", "actor", "action", "target_type", "target_id", "target", "address")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (targets hold user text)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv_rows(
    session_factory: Callable[[], AbstractContextManager[Session]],
    *,
    where: AuditFilter,
    chunk: int = 500,
) -> Iterator[str]:
    """The log as CSV lines, newest first, read in chunks with a short session each, so
    a long export streams without holding a transaction or the whole log in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_COLUMNS, "details"])
    yield buffer.getvalue()
    before: int | None = None
    while True:
        buffer.seek(0)
        buffer.truncate()
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(chunk)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        with session_factory() as session:
            rows = list(session.scalars(where.apply(query)))
            for row in rows:
                writer.writerow(
                    [
                        row.id,
                        row.at.isoformat(),
                        _cell(row.actor),
                        row.action,
                        _cell(row.target_type),
                        _cell(row.target_id),
                        _cell(row.target),
                        _cell(row.address),
                        _cell(json.dumps(row.details or {}, sort_keys=True, default=str)),
                    ]
                )
        if not rows:
            return
        yield buffer.getvalue()
        before = rows[-1].id
