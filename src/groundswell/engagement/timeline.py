"""One line of plain words per case history entry, for the case page's timeline.

The history keeps each change's facts as data (``{"old": None, "user_id": 3,
"queue_id": 1}``), which suits webhooks and exports; an agent reading the case wants
"to Ann, queue Care". Entries of a kind this does not know keep their raw facts, so a new
kind is never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

KIND_LABELS = {
    "created": "opened",
    "assigned": "assigned",
    "tagged": "tags",
    "priority": "priority",
    "rule": "rule applied",
    "status": "status",
    "reply": "reply written",
    "reply_sent": "reply posted",
    "reply_approved": "reply approved",
    "reply_rejected": "reply rejected",
    "note": "note",
    "sla_warning": "SLA warning",
    "sla_breached": "SLA breached",
    "csat": "satisfaction survey sent",
    "csat_answered": "satisfaction answered",
    "csat_not_sent": "satisfaction survey not sent",
    "merged": "merged",
}


REPLY_KINDS = {"reply": "answer", "csat": "satisfaction survey", "ack": "acknowledgement"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


def _raw(data: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in data.items())


def _person(users: Mapping[int, str], uid: Any) -> str:
    if uid is None:
        return "nobody"
    return users.get(uid, f"user #{uid}") if isinstance(uid, int) else str(uid)


def describe(
    kind: str,
    data: Mapping[str, Any] | None,
    *,
    users: Mapping[int, str],
    queues: Mapping[int, str],
) -> str:
    """The entry's facts in words ("" when it has none)."""
    d = dict(data or {})
    if not d:
        return ""
    try:
        return _words(kind, d, users, queues)
    except (KeyError, TypeError, ValueError):
        return _raw(d)


def _words(
    kind: str, d: dict[str, Any], users: Mapping[int, str], queues: Mapping[int, str]
) -> str:
    if kind == "created":
        if "alert_id" in d:
            return f"from alert #{d['alert_id']}, {d.get('conversations', 0)} conversation(s)"
        return f"from post #{d['interaction_id']}"
    if kind == "assigned":
        queue = d.get("queue_id")
        where = f", queue {queues.get(queue, f'#{queue}')}" if queue is not None else ""
        return f"to {_person(users, d['user_id'])}{where}"
    if kind == "tagged":
        marks = [f"+{t}" for t in d.get("add") or ()] + [f"−{t}" for t in d.get("remove") or ()]
        return " ".join(marks) or "no change"
    if kind == "priority":
        return f"{d['level']} (score {float(d['score']):.0f})"
    if kind == "rule":
        return f"“{d['rule']}”"
    if kind == "status":
        return f"{d.get('old') or '—'} → {d['new']}"
    if kind == "reply":
        what = REPLY_KINDS.get(str(d["reply_kind"]), str(d["reply_kind"]).replace("_", " "))
        return f"{what}, {str(d['status']).replace('_', ' ')}"
    if kind == "reply_sent":
        return f"as {d['external_id']} on the network" if d.get("external_id") else ""
    if kind == "reply_approved":
        return "after edits" if d.get("edited") else "as written"
    if kind == "reply_rejected":
        return f"“{d['reason']}”" if d.get("reason") else ""
    if kind in ("sla_warning", "sla_breached"):
        return f"due {d['due'][:16].replace('T', ' ')} UTC"
    if kind == "merged":
        if "into_id" in d:
            return f"into case #{int(d['into_id'])}"
        return f"case #{int(d['source_id'])} merged in (“{d.get('subject') or ''}”)"
    if kind == "csat_answered":
        return f"score {d['score']} of 5"
    if kind == "csat_not_sent":
        return str(d["why"])
    if kind == "note":
        mentions = d.get("mentions") or []
        return f"mentions {', '.join(_person(users, m) for m in mentions)}" if mentions else ""
    return _raw(d)


class EventLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class TimelineRow:
    at: datetime
    until: datetime
    """The last entry of the run (``at`` when ``count`` is 1)."""
    actor_id: int | None
    label: str
    words: str
    count: int


def rows(
    events: Iterable[EventLike], *, users: Mapping[int, str], queues: Mapping[int, str]
) -> list[TimelineRow]:
    """The case's entries in words, a run of the same entry as one row with its count.

    A customer who writes ten times in a row meets the same rule ten times; the case
    keeps each entry (it says which message met which rule), the page shows "rule applied
    “Unhappy posts → Care” ×10" instead of ten identical lines."""
    out: list[TimelineRow] = []
    for e in events:
        words = describe(e.kind, e.data, users=users, queues=queues)
        label = kind_label(e.kind)
        last = out[-1] if out else None
        if last and (last.actor_id, last.label, last.words) == (e.actor_id, label, words):
            out[-1] = TimelineRow(last.at, e.at, e.actor_id, label, words, last.count + 1)
        else:
            out.append(TimelineRow(e.at, e.at, e.actor_id, label, words, 1))
    return out
