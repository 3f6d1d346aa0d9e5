"""The case lifecycle as a pure state machine: new → open → pending → resolved → closed.

Kept free of the database so every transition, and every refusal, is tested on its own.
``pending`` means the team waits on the customer: the SLA clock is paused. A customer
message moves a pending case back to open, and reopens a resolved (or closed) case when
it arrives within the reopen window; after the window it starts a new case instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Status = Literal["new", "open", "pending", "resolved", "closed"]
STATUSES: tuple[Status, ...] = ("new", "open", "pending", "resolved", "closed")
ACTIVE: tuple[Status, ...] = ("new", "open", "pending")
"""Cases that still need the team (the inbox's default)."""

Action = Literal["open", "pend", "resolve", "close", "reopen"]

_ALLOWED: dict[Action, tuple[Status, ...]] = {
    "open": ("new", "pending"),
    "pend": ("new", "open"),
    "resolve": ("new", "open", "pending"),
    "close": ("resolved",),
    "reopen": ("resolved", "closed"),
}
_TARGET: dict[Action, Status] = {
    "open": "open",
    "pend": "pending",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "open",
}


class TransitionRefused(ValueError):
    """An action that the case's status does not allow (e.g. closing an open case)."""

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a case that is {status}")
        self.action = action
        self.status = status


def transition(status: Status, action: Action) -> Status:
    """The status after ``action``; raises ``TransitionRefused`` when not allowed."""
    if status not in _ALLOWED.get(action, ()):
        raise TransitionRefused(action, status)
    return _TARGET[action]


@dataclass(frozen=True, slots=True)
class CustomerMessageOutcome:
    status: Status
    new_case: bool
    """True when the message must start a new case (the old one is past its window)."""
    reopened: bool


def on_customer_message(
    status: Status,
    *,
    resolved_at: datetime | None,
    now: datetime,
    reopen_window: timedelta,
) -> CustomerMessageOutcome:
    """What a new inbound message from the case's customer does to the case."""
    if status in ("new", "open"):
        return CustomerMessageOutcome(status, new_case=False, reopened=False)
    if status == "pending":
        return CustomerMessageOutcome("open", new_case=False, reopened=False)
    if resolved_at is not None and now - resolved_at <= reopen_window:
        return CustomerMessageOutcome("open", new_case=False, reopened=True)
    return CustomerMessageOutcome(status, new_case=True, reopened=False)


def sla_paused(status: Status) -> bool:
    """The SLA clock stops while the team waits on the customer, and once resolved."""
    return status in ("pending", "resolved", "closed")
