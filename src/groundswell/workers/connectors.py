"""The connector runner: reads every enabled source and publishes its posts.

One thread per source, so a network that hangs or fails delays only itself. Each cycle
takes (or renews) the source's lease in the database, checks the back-off and the budget,
fetches from the saved cursor, validates and publishes the posts, and only then saves the
cursor (as the lease holder): a crash between publishing and saving re-reads, and the
pipeline's idempotence by (channel, external id) absorbs the repeat.

Failures: 401 and refused logins mark the account "needs re-auth" (every admin is told
once, ``workers.reauth_alerts``) and stop its sources until an admin changes the
settings; 429s wait for the network's reset; other failures back off exponentially
with full jitter (``channels.runtime.limits.backoff``).

Items a connector refuses itself (``Polled.rejected``: malformed or unknown payloads) are
dead-lettered with their reason next to the posts the ingestion contract refuses; items
it deliberately skips (``Polled.ignored``: favourites, follows, deletes) are counted.
Webhook channels (SMS, Meta, the generic webhook) have no source to read: the runner puts
their ``WebhookSource`` in the webhook registry the API route reads.

A post is published once per channel even when two of its sources deliver it (Bluesky's
notifications and Jetstream, X's mentions and stream) or a stream replays it: the
channel's sources share a bounded set of recently published external ids
(``channels.common.recent``), claimed before publishing and released if it fails.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.base import Fetched, Source
from groundswell.channels.common.recent import RecentKeys
from groundswell.channels.common.results import Polled
from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.common.webhooks import webhooks as default_webhooks
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.registry import registry as default_registry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.bootstrap import build_account
from groundswell.channels.runtime.kinds import Built, get_kind
from groundswell.channels.runtime.limits import backoff
from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.channels.runtime.outbound import (
    OutboundFieldRefused,
    check_outbound_fields,
    policy_of,
)
from groundswell.core.brokers import Broker
from groundswell.core.clock import to_utc, utcnow
from groundswell.core.db import Database
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import record_rejections, submit_posts, validation_context
from groundswell.settings import Settings
from groundswell.workers.reauth_alerts import mark_needs_reauth
from groundswell.workers.stream_rules import plan_x_rules

log = logging.getLogger(__name__)

REAUTH_RECHECK = timedelta(hours=1)
MAX_BACKOFF = 900.0
MIN_RETRY = 2.0
"""Shortest wait after a failure: full jitter can draw ~0, which would retry at once."""


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass
class Cycle:
    """What one fetch cycle did, for tests and the CLI."""

    outcome: str
    """published, idle, leased-elsewhere, waiting, shed, paused, error, needs-reauth."""
    posts: int = 0
    rejected: int = 0
    ignored: int = 0
    detail: str | None = None
    repeats: int = 0
    """Valid posts not published because the channel published them lately."""


@dataclass
class _Running:
    account_id: int
    updated_at: datetime
    built: Built
    threads: dict[str, threading.Thread] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    recent: RecentKeys = field(default_factory=RecentKeys)
    """External ids this channel's sources published lately (one publish per post)."""


class ConnectorRunner:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        broker: Broker,
        *,
        owner: str | None = None,
        registry: ConnectorRegistry | None = None,
        webhooks: WebhookRegistry | None = None,
        lease_ttl: float = 60.0,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.settings = settings
        self.db = db
        self.broker = broker
        self.owner = owner or runner_name()
        self.registry = registry if registry is not None else default_registry
        self.webhooks = webhooks if webhooks is not None else default_webhooks
        self.ignored: dict[str, int] = {}
        """Items skipped on purpose, by ``key/source`` (since this runner started)."""
        self.lease_ttl = timedelta(seconds=lease_ttl)
        self.refresh_seconds = refresh_seconds
        self._running: dict[str, _Running] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context = validation_context(settings)

    # --- accounts ------------------------------------------------------------------------

    def refresh(self, *, start_threads: bool = True) -> None:
        """Build new or changed accounts, drop disabled or deleted ones."""
        with self.db.session() as session:
            accounts = list(session.scalars(select(ChannelAccount)))
            wanted = {a.key: a for a in accounts if a.enabled and a.status != "needs_reauth"}
            for key in list(self._running):
                account = wanted.get(key)
                if account is None or account.updated_at != self._running[key].updated_at:
                    self._drop(key)
            for key, account in wanted.items():
                if key in self._running:
                    continue
                try:
                    built = build_account(account, self.settings)
                except Exception as exc:  # unreadable credentials, invalid stored settings
                    service.set_status(
                        session,
                        account_id=account.id,
                        status="error",
                        detail=f"cannot build the connector: {type(exc).__name__}",
                    )
                    continue
                service.ensure_sources(
                    session,
                    account_id=account.id,
                    wanted={name: activity for name, (_s, activity) in built.sources.items()},
                )
                self.registry.register(built.connector)
                if built.webhook is not None:
                    self.webhooks.register(built.webhook)
                self._running[key] = _Running(account.id, account.updated_at, built)
                if "stream" in built.sources:
                    self._sync_stream_rules(session, account, built)
        if start_threads:
            for key, running in self._running.items():
                for name in running.built.sources:
                    thread = running.threads.get(name)
                    if thread is None or not thread.is_alive():
                        thread = threading.Thread(
                            target=self._loop,
                            args=(key, name, running),
                            name=f"connector-{key}-{name}",
                            daemon=True,
                        )
                        running.threads[name] = thread
                        thread.start()

    def _sync_stream_rules(self, session: Session, account: ChannelAccount, built: Built) -> None:
        """Stream rules from the active subjects, when the connector keeps rules (X)."""
        sync = getattr(built.connector, "sync_rules", None)
        if not callable(sync):
            return
        plan = plan_x_rules(session)
        try:
            counts = sync(plan.wanted)
        except Exception as exc:
            log.warning("stream rules for %s not synced: %s", account.key, exc)
            return
        log.info("stream rules for %s: %s; %s", account.key, counts, "; ".join(plan.notes))
        if plan.notes:
            service.set_status(
                session,
                account_id=account.id,
                status=account.status,
                detail="stream rules: " + "; ".join(plan.notes),
            )

    def _drop(self, key: str) -> None:
        running = self._running.pop(key)
        running.stop.set()
        self.registry.unregister(key)
        if running.built.webhook is not None:
            self.webhooks.unregister(key)
        for thread in running.threads.values():
            thread.join(5)
        running.built.close()
        with self.db.session() as session:
            for row in session.scalars(
                select(ChannelSource).where(ChannelSource.account_id == running.account_id)
            ):
                service.release_lease(session, source_id=row.id, owner=self.owner)

    # --- one source ----------------------------------------------------------------------

    def _loop(self, key: str, name: str, running: _Running) -> None:
        pause = running.built.poll_seconds.get(name, 30.0)
        while not (self._stop.is_set() or running.stop.is_set()):
            try:
                cycle = self.cycle(key, name)
            except Exception:  # never let one source's bug end its thread silently
                log.exception("connector %s/%s cycle failed", key, name)
                cycle = Cycle("error")
            if cycle.outcome == "published" and pause == 0:
                continue
            wait = pause if cycle.outcome in {"published", "idle"} else min(5.0, pause or 1.0)
            if cycle.outcome == "leased-elsewhere":
                wait = self.lease_ttl.total_seconds() / 4
            running.stop.wait(wait)

    def cycle(self, key: str, name: str) -> Cycle:
        """One lease → fetch → publish → cursor round for one source."""
        running = self._running.get(key)
        if running is None or name not in running.built.sources:
            return Cycle("paused")
        source, activity = running.built.sources[name]
        now = utcnow()
        with self.db.session() as session:
            row = session.scalar(
                select(ChannelSource).where(
                    ChannelSource.account_id == running.account_id, ChannelSource.name == name
                )
            )
            account = session.get(ChannelAccount, running.account_id)
            if row is None or account is None or not account.enabled:
                return Cycle("paused")
            if not service.claim_lease(
                session, source_id=row.id, owner=self.owner, ttl=self.lease_ttl, now=now
            ):
                return Cycle("leased-elsewhere")
            source_id, cursor = row.id, row.cursor
            if row.next_attempt_at and row.next_attempt_at > now:
                return Cycle("waiting", detail=row.last_error)
            budget = service.budget_state(account)
            if not budget.allows(activity):
                service.set_status(
                    session,
                    account_id=account.id,
                    status="degraded",
                    detail="monthly budget: paused " + ", ".join(budget.shed()),
                )
                return Cycle("shed", detail=activity)
            cost_per_read = account.cost_per_read
        return self._fetch(running, name, source_id, source, cursor, cost_per_read)

    def _fetch(
        self,
        running: _Running,
        name: str,
        source_id: int,
        source: Source,
        cursor: str | None,
        cost_per_read: float,
    ) -> Cycle:
        try:
            fetched = source.fetch(cursor)
        except NeedsReauth as exc:
            with self.db.session() as session:
                mark_needs_reauth(
                    session,
                    account_id=running.account_id,
                    reason=exc.reason,
                    email=bool(self.settings.smtp_host),
                )
                service.record_error(
                    session,
                    source_id=source_id,
                    reason=exc.reason,
                    retry_at=utcnow() + REAUTH_RECHECK,
                )
            log.warning("channel %s needs re-auth", running.built.connector.key)
            return Cycle("needs-reauth", detail=exc.reason)
        except Exception as exc:
            return self._failed(running, source_id, exc)
        posts, rejections = self._validate(fetched.posts)
        rejections.extend(refusals_of(fetched))
        ignored = fetched.ignored if isinstance(fetched, Polled) else 0
        if ignored:
            label = f"{running.built.connector.key}/{name}"
            self.ignored[label] = self.ignored.get(label, 0) + ignored
            log.debug("connector %s skipped %d items on purpose", label, ignored)
        fresh = _first_publish(running.recent, posts)
        if fresh:
            try:
                submit_posts(self.broker, self.settings, fresh)
            except BaseException:
                running.recent.release(p.external_id for p in fresh)
                raise
        repeats = len(posts) - len(fresh)
        if repeats:
            log.debug(
                "connector %s/%s: %d posts already published",
                running.built.connector.key,
                name,
                repeats,
            )
        newest = max((p.created_at for p in posts), default=None)
        limits = getattr(running.built.connector, "rate_limits", None)
        with self.db.session() as session:
            if rejections:
                record_rejections(
                    session, source=f"channel:{running.built.connector.key}", rejections=rejections
                )
            service.record_fetch(
                session,
                source_id=source_id,
                owner=self.owner,
                cursor=fetched.cursor,
                posts=len(fresh),
                newest=to_utc(newest) if newest else None,
                cost=len(fetched.posts) * cost_per_read,
                rate_limits=limits() if callable(limits) else None,
            )
        return Cycle(
            "published" if fresh else "idle",
            len(fresh),
            len(rejections),
            ignored,
            repeats=repeats,
        )

    def _validate(
        self, raw: list[dict[str, Any]]
    ) -> tuple[list[InboundPost], list[tuple[str, str | None, str, str | None]]]:
        posts: list[InboundPost] = []
        rejections: list[tuple[str, str | None, str, str | None]] = []
        for item in raw:
            try:
                posts.append(InboundPost.model_validate(item, context=self._context))
            except ValidationError as exc:
                first = exc.errors()[0]
                field_name = ".".join(str(p) for p in first["loc"]) or None
                ref = str(item.get("external_id", "?"))
                rejections.append((ref, field_name, first["msg"], repr(item)[:4000]))
        return posts, rejections

    def _failed(self, running: _Running, source_id: int, exc: Exception) -> Cycle:
        retryable = exc.retryable if isinstance(exc, SourceError) else True
        retry_after = exc.retry_after if isinstance(exc, SourceError) else None
        reason = exc.reason if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
        with self.db.session() as session:
            row = session.get(ChannelSource, source_id)
            attempt = row.error_count if row else 0
            delay = retry_after if retry_after is not None else backoff(attempt, cap=MAX_BACKOFF)
            delay = max(delay, MIN_RETRY)
            if not retryable:
                delay = max(delay, MAX_BACKOFF)
            service.record_error(
                session,
                source_id=source_id,
                reason=reason,
                retry_at=utcnow() + timedelta(seconds=delay),
            )
            service.set_status(
                session, account_id=running.account_id, status="error", detail=reason
            )
        log.warning("connector %s: %s", running.built.connector.key, reason)
        return Cycle("error", detail=reason)

    # --- lifecycle -----------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Refresh accounts every few seconds until stopped (``groundswell connectors run``)."""
        stop = stop or self._stop
        while not stop.is_set():
            try:
                self.refresh()
            except Exception:
                log.exception("connector refresh failed")
            stop.wait(self.refresh_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="connector-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for key in list(self._running):
            self._drop(key)


def _first_publish(recent: RecentKeys, posts: list[InboundPost]) -> list[InboundPost]:
    """The posts whose external id no source of the channel published lately (each once),
    now claimed; the caller releases them if publishing fails."""
    claimed = recent.claim(p.external_id for p in posts)
    fresh: list[InboundPost] = []
    for post in posts:
        if post.external_id in claimed:
            claimed.discard(post.external_id)
            fresh.append(post)
    return fresh


def refusals_of(fetched: Fetched) -> list[tuple[str, str | None, str, str | None]]:
    """A connector's own refusals as ``record_rejections`` rows (ref, field, reason, payload).

    The reason starts with the field when the connector knows it (``field: message``)."""
    if not isinstance(fetched, Polled):
        return []
    rows: list[tuple[str, str | None, str, str | None]] = []
    for refusal in fetched.rejected:
        where, sep, _rest = refusal.reason.partition(": ")
        field_name = where[:200] if sep and " " not in where else None
        rows.append((refusal.ref, field_name, refusal.reason, refusal.payload))
    return rows


# --- one-off operations (CLI, channels page) ---------------------------------------------


def test_connection(settings: Settings, db: Database, key: str) -> tuple[bool, str]:
    """Log in to the network with the stored settings; (ok, what happened). Never raises."""
    with db.session() as session:
        account = service.get_account(session, key=key)
        kind = get_kind(account.kind)
        try:
            check_outbound_fields(
                kind,
                service.resolved_settings(account, settings),
                policy_of(settings),
                must_resolve=True,
            )
        except OutboundFieldRefused as exc:
            return False, str(exc)  # nothing is built, so nothing connects
        except Exception as exc:
            return False, f"settings unusable: {type(exc).__name__}"
        try:
            built = build_account(account, settings)
        except Exception as exc:
            return False, f"settings unusable: {type(exc).__name__}"
    try:
        check = getattr(built.connector, "check", None)
        if not callable(check):
            return True, "built (this connector has no live check)"
        detail = str(check())
    except NeedsReauth as exc:
        with db.session() as session:
            mark_needs_reauth(
                session, account_id=account.id, reason=exc.reason, email=bool(settings.smtp_host)
            )
        return False, f"needs re-auth: {exc.reason}"
    except SourceError as exc:
        return False, exc.reason
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        built.close()
    return True, detail


def backfill(
    settings: Settings,
    db: Database,
    broker: Broker,
    *,
    key: str,
    source_name: str,
    since: datetime,
) -> tuple[int, int]:
    """Re-read a period and publish it (the saved cursor is left alone); (posts, rejected).

    Re-reading what is already stored is harmless: the pipeline keeps one interaction per
    (channel, external id).
    """
    with db.session() as session:
        account = service.get_account(session, key=key)
        built = build_account(account, settings)
    try:
        if source_name not in built.sources:
            raise LookupError(
                f"{key} has no source {source_name!r}; it has {', '.join(built.sources) or 'none'}"
            )
        source = built.sources[source_name][0]
        pages = getattr(source, "backfill", None)
        if not callable(pages):
            raise LookupError(f"{key}/{source_name} cannot backfill a period")
        runner = ConnectorRunner(settings, db, broker, registry=ConnectorRegistry())
        published = rejected = 0
        for page in pages(since):
            posts, rejections = runner._validate(page)
            submit_posts(broker, settings, posts)
            if rejections:
                with db.session() as session:
                    record_rejections(session, source=f"channel:{key}", rejections=rejections)
            published += len(posts)
            rejected += len(rejections)
        return published, rejected
    finally:
        built.close()
