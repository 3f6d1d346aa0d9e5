from datetime import UTC, datetime, timedelta

import pytest

from groundswell.engagement.lifecycle import (
    STATUSES,
    TransitionRefused,
    on_customer_message,
    sla_paused,
    transition,
)

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
WINDOW = timedelta(hours=72)


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("new", "open", "open"),
        ("new", "pend", "pending"),
        ("open", "pend", "pending"),
        ("pending", "open", "open"),
        ("open", "resolve", "resolved"),
        ("pending", "resolve", "resolved"),
        ("resolved", "close", "closed"),
        ("resolved", "reopen", "open"),
        ("closed", "reopen", "open"),
    ],
)
def test_allowed_transitions(status: str, action: str, expected: str) -> None:
    assert transition(status, action) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("open", "close"),
        ("new", "close"),
        ("closed", "resolve"),
        ("open", "reopen"),
        ("closed", "pend"),
    ],
)
def test_refused_transitions_name_both(status: str, action: str) -> None:
    with pytest.raises(TransitionRefused) as info:
        transition(status, action)  # type: ignore[arg-type]
    assert action in str(info.value) and status in str(info.value)


def test_customer_message_moves_pending_back_to_open() -> None:
    out = on_customer_message("pending", resolved_at=None, now=NOW, reopen_window=WINDOW)
    assert (out.status, out.new_case, out.reopened) == ("open", False, False)


def test_customer_message_reopens_within_window_only() -> None:
    inside = on_customer_message(
        "resolved", resolved_at=NOW - timedelta(hours=71), now=NOW, reopen_window=WINDOW
    )
    assert inside.reopened and inside.status == "open"
    outside = on_customer_message(
        "closed", resolved_at=NOW - timedelta(hours=73), now=NOW, reopen_window=WINDOW
    )
    assert outside.new_case and not outside.reopened


def test_sla_paused_only_when_waiting_or_done() -> None:
    assert [s for s in STATUSES if sla_paused(s)] == ["pending", "resolved", "closed"]
