"""Who speaks for the company: may this person reply here, and does it need approval?

Pure: the service gathers the facts (the author's influence, whether the post is
negative and in an open alert, whether the agent is in training) and the channel's
``Capabilities``; this module decides, naming the field that refuses a reply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from groundswell.channels.base import Capabilities

ALL = "*"


@dataclass(frozen=True, slots=True)
class ReplyPolicy:
    may_reply: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: {"admin": [ALL], "lead": [ALL], "agent": [ALL]}
    )
    """Role → channel keys it may reply on (``*`` = all). Analysts only read."""
    approval_influence: float | None = 60.0
    """Public replies to authors at or above this influence need approval (None: never)."""
    approve_negative_in_alert: bool = True
    approve_trainees: bool = True
    approvers: Sequence[str] = ("admin", "lead")


@dataclass(frozen=True, slots=True)
class ReplyFacts:
    role: str
    channel: str
    text: str
    visibility: str
    author_influence: float = 0.0
    negative_in_open_alert: bool = False
    agent_in_training: bool = False
    last_customer_at: datetime | None = None
    now: datetime | None = None


class ReplyRefused(ValueError):
    def __init__(self, field_name: str, reason: str, *, status: int = 422) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason
        self.status = status


def check_reply(policy: ReplyPolicy, caps: Capabilities, facts: ReplyFacts) -> list[str]:
    """Raise ``ReplyRefused`` if the reply may not go; else the reasons it needs approval."""
    allowed = policy.may_reply.get(facts.role, ())
    if ALL not in allowed and facts.channel not in allowed:
        raise ReplyRefused("role", f"a {facts.role} may not reply on {facts.channel}", status=403)
    text = facts.text.strip()
    if not text:
        raise ReplyRefused("text", "the reply is empty")
    if len(text) > caps.max_length:
        raise ReplyRefused(
            "text",
            f"{len(text)} characters; {facts.channel} allows at most {caps.max_length}",
        )
    if facts.visibility == "public" and not caps.public:
        raise ReplyRefused("visibility", f"{facts.channel} has no public replies")
    if facts.visibility == "private" and not caps.private:
        raise ReplyRefused("visibility", f"{facts.channel} has no private replies")
    window = caps.reply_window
    if (
        window is not None
        and facts.last_customer_at
        and facts.now
        and facts.now - facts.last_customer_at > window
    ):
        raise ReplyRefused(
            "channel",
            f"the reply window of {_human(window)} after the customer's last message has closed",
        )
    reasons = []
    if (
        policy.approval_influence is not None
        and facts.visibility == "public"
        and facts.author_influence >= policy.approval_influence
    ):
        reasons.append(
            f"public reply to an influential author (influence {facts.author_influence:.0f} ≥ "
            f"{policy.approval_influence:.0f})"
        )
    if policy.approve_negative_in_alert and facts.negative_in_open_alert:
        reasons.append("negative post in an open alert")
    if policy.approve_trainees and facts.agent_in_training:
        reasons.append("agent in training")
    if reasons and facts.role in policy.approvers:
        return []  # an approver's own reply needs no second approver
    return reasons


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"
