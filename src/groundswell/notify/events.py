"""Domain events for outbound webhooks: one outbox row per event × interested subscription.

Every domain that changes something worth announcing (an interaction stored, a case
opened, an alert resolved, two contacts merged) calls ``emit`` with its own session, so
the outbox rows commit or roll back with the change itself; the notification dispatcher
sends them later, signed, with retries. This module knows no domain: it takes a type
name and a JSON-safe object.

Emitting must cost next to nothing when nobody listens, since ``interaction.stored``
fires for every post ingested: the active subscriptions are cached per database for a
few seconds, and an event nobody subscribed to writes nothing. A subscription created or
changed in this process clears the cache at once; other processes see it within
``CACHE_TTL_S``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.notify.models import Delivery, WebhookSubscription
from groundswell.notify.secrets import subscription_secret

__all__ = ["EVENT_TYPES", "emit", "emit_many", "subscription_secret", "wanted"]

EVENT_TYPES: tuple[str, ...] = (
    "interaction.stored",
    "case.opened",
    "case.assigned",
    "case.replied",
    "case.resolved",
    "alert.opened",
    "alert.resolved",
    "contact.merged",
    "channel.needs_reauth",
)
"""Every event type a subscription may ask for (docs/webhooks.md describes each)."""

EVENT_KIND = "event"
"""The outbox ``kind`` of a domain-event delivery (signed with the subscription's secret)."""

CACHE_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class _Target:
    subscription_id: int
    url: str
    types: frozenset[str]


_cache: dict[str, tuple[float, tuple[_Target, ...]]] = {}
_cache_lock = threading.Lock()


def invalidate_cache() -> None:
    """Forget the cached subscriptions (after one is created, changed or deleted)."""
    with _cache_lock:
        _cache.clear()


def _targets(session: Session) -> tuple[_Target, ...]:
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    rows = session.execute(
        select(
            WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.event_types
        ).where(WebhookSubscription.active.is_(True))
    ).all()
    targets = tuple(
        _Target(int(i), str(u), frozenset(str(t) for t in (types or ()))) for i, u, types in rows
    )
    with _cache_lock:
        _cache[key] = (now + CACHE_TTL_S, targets)
    return targets


def wanted(session: Session, event_type: str) -> bool:
    """Whether any active subscription wants this type; cheap (cached)."""
    return any(event_type in t.types for t in _targets(session))


def emit(
    session: Session,
    event_type: str,
    obj: Mapping[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> int:
    """Write one delivery per interested subscription; returns how many."""
    return emit_many(session, event_type, [obj], occurred_at=occurred_at)


def emit_many(
    session: Session,
    event_type: str,
    objects: Iterable[Mapping[str, Any]],
    *,
    occurred_at: datetime | None = None,
) -> int:
    """The same for several objects of one type (a batch of stored interactions)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    targets = [t for t in _targets(session) if event_type in t.types]
    if not targets:
        return 0
    when = occurred_at or utcnow()
    rows: list[dict[str, Any]] = []
    for obj in objects:
        event = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": when.isoformat(),
            "data": dict(obj),
        }
        rows.extend(
            {
                "subscription_id": target.subscription_id,
                "event": event_type,
                "kind": EVENT_KIND,
                "target": target.url,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": when,
                "payload": event,
                "created_at": when,
            }
            for target in targets
        )
    if rows:
        # One multi-row INSERT, not one ORM object per row: a batch of stored
        # interactions becomes a single statement (bench/webhook_events.py).
        session.execute(insert(Delivery), rows)
    return len(rows)
