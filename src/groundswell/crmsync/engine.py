"""One sync run of one connection: pull first, then queue and push.

Pulling first lets a field changed on both sides become a conflict before a push could
write over the CRM's value. The pull (and its cursor) is one transaction; each pushed
record is its own, so a failure costs at most that record, which stays queued.

A run claims its connection with one conditional UPDATE of ``next_attempt_at``, so two
workers never run the same connection at once. A run an admin asks for (``force``) goes
ahead even when the connection is not due; should it overlap a scheduled run, nothing is
duplicated (every push is an upsert by ``groundswell_id``) and a push that loses the race
for its link row stays queued for the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.crmsync import pull, push
from groundswell.crmsync.clients.base import CrmClient
from groundswell.crmsync.clients.hubspot import HubSpotClient
from groundswell.crmsync.clients.salesforce import SalesforceClient
from groundswell.crmsync.http import (
    CrmAuthError,
    CrmError,
    CrmRateLimited,
    CrmRequestError,
    GuardedHttp,
)
from groundswell.crmsync.models import CrmConnection
from groundswell.crmsync.push import WaitingFor
from groundswell.crmsync.schemas import SyncReport
from groundswell.crmsync.service import secrets_of
from groundswell.settings import Settings

log = logging.getLogger(__name__)

CLAIM_SECONDS = 600.0
"""How long a run holds its connection; a crashed run's claim runs out after it."""
MAX_BACKOFF_S = 3600.0


def build_client(settings: Settings, connection: CrmConnection, http: GuardedHttp) -> CrmClient:
    secrets = secrets_of(settings, connection)
    if connection.system == "salesforce":
        return SalesforceClient(
            http,
            base_url=connection.base_url,
            client_id=str((connection.config or {}).get("client_id") or ""),
            client_secret=str(secrets.get("client_secret") or ""),
        )
    return HubSpotClient(
        http, base_url=connection.base_url, access_token=str(secrets.get("access_token") or "")
    )


class SyncRunner:
    """Runs connections against their CRMs; one per worker loop, command or request."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        policy: OutboundPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        batch: int = 500,
    ) -> None:
        self.settings = settings
        self.db = db
        self.policy = policy or OutboundPolicy.from_setting(settings.outbound_allow_hosts)
        self.sleep = sleep
        self.batch = batch

    def due(self) -> list[int]:
        now = utcnow()
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(CrmConnection.id)
                    .where(CrmConnection.enabled.is_(True))
                    .where(
                        or_(
                            CrmConnection.next_attempt_at.is_(None),
                            CrmConnection.next_attempt_at <= now,
                        )
                    )
                    .order_by(CrmConnection.id)
                )
            )

    def run_all(self, *, force: bool = False) -> list[SyncReport]:
        if force:
            with self.db.session() as session:
                ids = list(
                    session.scalars(select(CrmConnection.id).where(CrmConnection.enabled.is_(True)))
                )
        else:
            ids = self.due()
        return [self.run(i, force=force) for i in ids]

    def _claim(self, connection_id: int, force: bool) -> CrmConnection | None:
        now = utcnow()
        stmt = (
            update(CrmConnection)
            .where(CrmConnection.id == connection_id, CrmConnection.enabled.is_(True))
            .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        )
        if not force:
            stmt = stmt.where(
                or_(CrmConnection.next_attempt_at.is_(None), CrmConnection.next_attempt_at <= now)
            )
        with self.db.session() as session:
            if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
                return None
            connection = session.get(CrmConnection, connection_id)
            if connection is not None:
                session.expunge(connection)
            return connection

    def run(self, connection_id: int, *, force: bool = False) -> SyncReport:
        connection = self._claim(connection_id, force)
        if connection is None:
            return SyncReport(connection=str(connection_id), status="skipped")
        report = SyncReport(connection=connection.name, status="ok")
        http = GuardedHttp(self.policy, sleep=self.sleep)
        try:
            client = build_client(self.settings, connection, http)
            self._pull(connection, client, report)
            self._push(connection, client, report)
            self._finish(connection_id, report, error=None)
        except CrmError as exc:
            self._finish(connection_id, report, error=exc)
        except Exception as exc:  # never let one connection stop the others
            log.exception("CRM sync of connection %s failed", connection_id)
            self._finish(connection_id, report, error=CrmError(type(exc).__name__))
        finally:
            http.close()
        return report

    def _pull(self, connection: CrmConnection, client: CrmClient, report: SyncReport) -> None:
        # Every page is read before the transaction starts: on SQLite a write holds the
        # database, and it must not wait on the CRM's answers.
        changed = list(client.changed_contacts(connection.pull_cursor))
        with self.db.session() as session:
            counts = pull.pull_contacts(
                session,
                connection_id=connection.id,
                changed=changed,
                cursor=connection.pull_cursor,
            )
            row = session.get(CrmConnection, connection.id)
            if row is not None:
                row.pull_cursor = counts.cursor
                row.pulled_total += counts.pulled
        report.pulled, report.applied, report.conflicts = (
            counts.pulled,
            counts.applied,
            counts.conflicts,
        )

    def _push(self, connection: CrmConnection, client: CrmClient, report: SyncReport) -> None:
        scope = str((connection.config or {}).get("scope") or "cases")
        with self.db.session() as session:
            push.enqueue_changes(
                session, connection_id=connection.id, scope=scope, limit=self.batch
            )
            ids = push.queued(session, connection_id=connection.id, limit=self.batch)
        for outbox_id in ids:
            try:
                with self.db.session() as session:
                    done = push.push_one(session, client, outbox_id)
            except (CrmRequestError, WaitingFor, IntegrityError) as exc:
                report.failed += 1
                with self.db.session() as session:
                    push.record_failure(session, outbox_id, str(exc))
                continue
            except CrmError as exc:
                with self.db.session() as session:
                    push.record_failure(session, outbox_id, str(exc))
                raise
            if done:
                report.pushed += 1
            elif done is False:
                report.unchanged += 1

    def _finish(self, connection_id: int, report: SyncReport, *, error: CrmError | None) -> None:
        now = utcnow()
        with self.db.session() as session:
            row = session.get(CrmConnection, connection_id)
            if row is None:
                return
            row.pushed_total += report.pushed
            if error is None:
                row.status = "degraded" if report.failed else "ok"
                row.status_detail = (
                    f"{report.failed} records failed; they stay queued" if report.failed else None
                )
                row.error_count = 0
                row.last_sync_at = now
                wait = self.settings.crm_sync_interval_seconds
            else:
                row.error_count += 1
                row.last_error = str(error)[:500]
                row.last_error_at = now
                if isinstance(error, CrmRateLimited):
                    row.status, wait = "rate_limited", max(error.retry_after, 1.0)
                elif isinstance(error, CrmAuthError):
                    row.status, wait = "needs_reauth", 900.0
                else:
                    row.status = "error"
                    wait = min(
                        MAX_BACKOFF_S,
                        self.settings.crm_sync_interval_seconds * 2 ** min(row.error_count, 10),
                    )
                row.status_detail = str(error)[:500]
                report.status, report.detail = row.status, row.status_detail
            if report.failed and error is None:
                report.status, report.detail = row.status, row.status_detail
            row.next_attempt_at = now + timedelta(seconds=wait)
