"""The case timeline says each history entry in words, and keeps unknown facts visible."""

from __future__ import annotations

from typing import Any

import pytest

from groundswell.engagement.timeline import describe, kind_label

USERS = {3: "Ann", 4: "Bob"}
QUEUES = {1: "Care"}


@pytest.mark.parametrize(
    ("kind", "data", "words"),
    [
        ("created", {"interaction_id": 8}, "from post #8"),
        ("created", {"alert_id": 5, "conversations": 3}, "from alert #5, 3 conversation(s)"),
        ("assigned", {"old": None, "user_id": 3, "queue_id": 1}, "to Ann, queue Care"),
        ("assigned", {"old": 3, "user_id": None, "queue_id": None}, "to nobody"),
        ("assigned", {"old": None, "user_id": 9, "queue_id": 7}, "to user #9, queue #7"),
        ("tagged", {"add": ["complaint"], "remove": ["praise"]}, "+complaint −praise"),
        ("priority", {"level": "urgent", "score": 100.0}, "urgent (score 100)"),
        ("rule", {"rule_id": 1, "rule": "Unhappy posts → Care"}, "“Unhappy posts → Care”"),
        ("status", {"old": "new", "new": "resolved"}, "new → resolved"),
        ("reply", {"reply_id": 1, "status": "queued", "reply_kind": "reply"}, "answer, queued"),
        (
            "reply",
            {"reply_id": 2, "status": "pending_approval", "reply_kind": "csat"},
            "satisfaction survey, pending approval",
        ),
        ("reply_sent", {"reply_id": 1, "external_id": "186"}, "as 186 on the network"),
        ("reply_approved", {"reply_id": 1, "edited": True}, "after edits"),
        ("reply_rejected", {"reply_id": 1, "reason": "tone"}, "“tone”"),
        ("sla_breached", {"due": "2026-11-28T09:20:00+00:00"}, "due 2026-11-28 09:20 UTC"),
        ("csat_answered", {"score": 4}, "score 4 of 5"),
        ("csat_not_sent", {"why": "no connector for sms"}, "no connector for sms"),
        ("note", {"note_id": 1, "mentions": [4]}, "mentions Bob"),
        ("note", {"note_id": 1, "mentions": []}, ""),
    ],
)
def test_each_kind_in_words(kind: str, data: dict[str, Any], words: str) -> None:
    assert describe(kind, data, users=USERS, queues=QUEUES) == words


def test_unknown_kinds_and_odd_facts_keep_their_raw_facts() -> None:
    assert describe("merged", {"into": 12}, users=USERS, queues=QUEUES) == "into: 12"
    # a known kind whose facts lack a field falls back rather than failing the page
    assert describe("priority", {"level": "high"}, users=USERS, queues=QUEUES) == "level: high"
    assert describe("status", None, users=USERS, queues=QUEUES) == ""


def test_kind_labels() -> None:
    assert kind_label("reply_sent") == "reply posted"
    assert kind_label("something_new") == "something new"


def test_a_run_of_the_same_entry_is_one_row_with_its_count() -> None:
    from dataclasses import dataclass
    from datetime import UTC, datetime, timedelta

    from groundswell.engagement.timeline import rows

    @dataclass
    class Event:
        at: datetime
        actor_id: int | None
        kind: str
        data: dict[str, Any] | None

    t0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    rule = {"rule_id": 1, "rule": "Unhappy posts → Care"}
    events = [
        Event(t0, None, "created", {"interaction_id": 8}),
        *(Event(t0 + timedelta(minutes=m), None, "rule", rule) for m in range(4)),
        Event(t0 + timedelta(minutes=5), 3, "rule", rule),  # a person, not the system
        Event(t0 + timedelta(minutes=6), None, "rule", {"rule_id": 2, "rule": "VIP"}),
        Event(t0 + timedelta(minutes=7), None, "rule", rule),
    ]
    out = rows(events, users=USERS, queues=QUEUES)
    assert [(r.label, r.words, r.count) for r in out] == [
        ("opened", "from post #8", 1),
        ("rule applied", "“Unhappy posts → Care”", 4),
        ("rule applied", "“Unhappy posts → Care”", 1),
        ("rule applied", "“VIP”", 1),
        ("rule applied", "“Unhappy posts → Care”", 1),
    ]
    assert (out[1].at, out[1].until) == (t0, t0 + timedelta(minutes=3))
