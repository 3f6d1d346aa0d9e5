"""Which case history entries are announced to webhook subscribers, and with what.

``cases.record`` (every change to a case goes through it) calls ``announce``; the outbox
row is written in the same transaction as the change. A reply is announced when it was
sent (``reply_sent``), once per reply, not when it was queued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from groundswell.engagement.models import Case
from groundswell.notify import events

EVENT_OF_KIND = {
    "created": "case.opened",
    "assigned": "case.assigned",
    "reply_sent": "case.replied",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_object(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.status,
        "kind": case.kind,
        "subject": case.subject,
        "channel": case.channel,
        "contact_id": case.contact_id,
        "assignee_id": case.assignee_id,
        "queue_id": case.queue_id,
        "priority": case.priority_label,
        "tags": list(case.tags or ()),
        "opened_at": _iso(case.opened_at),
        "resolved_at": _iso(case.resolved_at),
        "path": f"/cases/{case.id}",
    }


def event_type(kind: str, data: dict[str, Any]) -> str | None:
    if kind == "status" and data.get("new") == "resolved" and data.get("old") != "resolved":
        return "case.resolved"
    return EVENT_OF_KIND.get(kind)


def announce(
    session: Session, case: Case, kind: str, *, now: datetime, data: dict[str, Any]
) -> None:
    """Write the webhook outbox rows for this history entry, if it is announced."""
    name = event_type(kind, data)
    if name is None or not events.wanted(session, name):
        return
    obj = case_object(case)
    change = {k: v for k, v in data.items() if k in ("reply_id", "old", "new", "user_id")}
    if change:
        obj["change"] = change
    events.emit(session, name, obj, occurred_at=now)
