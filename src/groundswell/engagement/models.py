"""Cases and the team that works them: queues, agents, timeline events, notes.

A case groups one contact's conversations that need the team, across channels
(``case_conversations``). Its timeline (``case_events``) records every state change,
assignment, reply and note with who and when. SLA due times live on the case so the inbox
can sort by time to breach with an index, not a computation per row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class Queue(Base):
    """A team: its members, the skills and languages it covers, how it assigns."""

    __tablename__ = "eng_queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    strategy: Mapped[str] = mapped_column(String(16), default="least_loaded")
    """``round_robin`` or ``least_loaded``."""
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Skills a case in this queue needs from its agent."""
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    last_assigned_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QueueMember(Base):
    __tablename__ = "eng_queue_members"

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("eng_queues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Agent(Base):
    """What assignment needs to know of a user who works cases."""

    __tablename__ = "eng_agents"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    in_training: Mapped[bool] = mapped_column(Boolean, default=False)
    """Replies by an agent in training wait for approval (reply policy)."""


class Case(Base):
    __tablename__ = "eng_cases"
    __table_args__ = (
        Index("ix_eng_cases_status_priority", "status", "priority_score"),
        Index("ix_eng_cases_assignee_status", "assignee_id", "status"),
        Index("ix_eng_cases_queue_status", "queue_id", "status"),
        Index("ix_eng_cases_contact", "contact_id"),
        Index("ix_eng_cases_status_due", "status", "next_due_at"),
        Index("ix_eng_cases_priority", "priority_score", "id"),
        Index("ix_eng_cases_due", "next_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    """A one-line title: the start of the first message."""
    status: Mapped[str] = mapped_column(String(16), default="new")
    kind: Mapped[str] = mapped_column(String(16), default="customer")
    """``customer`` or ``crisis`` (one case linking every conversation behind a spike)."""
    alert_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(64))
    """The channel of the latest customer message (where a reply goes by default)."""
    language: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    intents: Mapped[list[str]] = mapped_column(JSONType, default=list)
    influence: Mapped[float] = mapped_column(Float, default=0.0)
    customer_value: Mapped[float] = mapped_column(Float, default=0.5)
    priority_score: Mapped[float] = mapped_column(Float, default=20.0)
    priority_label: Mapped[str] = mapped_column(String(16), default="normal")
    priority_boost: Mapped[float] = mapped_column(Float, default=0.0)
    priority_reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("eng_queues.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("eng_sla_policies.id", ondelete="SET NULL")
    )
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The earliest running due time (None while paused or done): sort by time to breach."""
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every change: the composer's collision check compares it."""


class CaseConversation(Base):
    __tablename__ = "eng_case_conversations"
    __table_args__ = (Index("ix_eng_case_conversations_conv", "conversation_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("eng_cases.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )


class CaseTag(Base):
    """One tag of a case, beside ``Case.tags`` (the list the pages show): the inbox's
    tag filter is an index lookup here instead of matching every case's JSON text.
    Kept in step by ``cases.set_tags``, the one place tags change."""

    __tablename__ = "eng_case_tags"
    __table_args__ = (Index("ix_eng_case_tags_tag_case", "tag", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("eng_cases.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)


class CaseEvent(Base):
    """One line of a case's timeline: who did what, when."""

    __tablename__ = "eng_case_events"
    __table_args__ = (Index("ix_eng_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eng_cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """None: the system (a rule, the SLA clock, the sender)."""
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Note(Base):
    """A private note on a case; ``mentions`` are the users it names with @."""

    __tablename__ = "eng_notes"
    __table_args__ = (Index("ix_eng_notes_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eng_cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[int]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
