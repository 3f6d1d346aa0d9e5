"""The engagement rollup: one row per UTC day, dimension and key, plus each case's share.

``an_eng_daily`` holds counters, sums and sparse log-spaced histograms (``histogram``) of
the time distributions; a dashboard sums a period's rows for one dimension, a few thousand
rows at most for 90 days whatever the number of cases. ``an_eng_case_share`` keeps what
each case last added, so a change to a case is applied as a difference.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, JSONType, UTCDateTime
from groundswell.core.clock import utcnow


class EngagementDaily(Base):
    __tablename__ = "an_eng_daily"
    __table_args__ = (Index("ux_an_eng_daily_key", "dim", "key", "day", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    opened: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved: Mapped[int] = mapped_column(BigInteger, default=0)
    first_responses: Mapped[int] = mapped_column(BigInteger, default=0)
    next_responses: Mapped[int] = mapped_column(BigInteger, default=0)
    replies: Mapped[int] = mapped_column(BigInteger, default=0)
    replies_resolved: Mapped[int] = mapped_column(BigInteger, default=0)
    sla_first_total: Mapped[int] = mapped_column(BigInteger, default=0)
    sla_first_met: Mapped[int] = mapped_column(BigInteger, default=0)
    sla_resolve_total: Mapped[int] = mapped_column(BigInteger, default=0)
    sla_resolve_met: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_count: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    lift_count: Mapped[int] = mapped_column(BigInteger, default=0)
    open_now: Mapped[int] = mapped_column(BigInteger, default=0)
    """Cases opened this day that are not resolved now (the backlog, by opening day)."""
    lift_sum: Mapped[float] = mapped_column(Float, default=0.0)
    frt_bus_sum: Mapped[float] = mapped_column(Float, default=0.0)
    frt_wall_sum: Mapped[float] = mapped_column(Float, default=0.0)
    nrt_bus_sum: Mapped[float] = mapped_column(Float, default=0.0)
    nrt_wall_sum: Mapped[float] = mapped_column(Float, default=0.0)
    res_bus_sum: Mapped[float] = mapped_column(Float, default=0.0)
    res_wall_sum: Mapped[float] = mapped_column(Float, default=0.0)
    open_since_sum: Mapped[float] = mapped_column(Float, default=0.0)
    hists: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    """The time distributions' histograms, packed (``histogram.pack``)."""


class EngagementCaseShare(Base):
    __tablename__ = "an_eng_case_share"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("eng_cases.id", ondelete="CASCADE"), primary_key=True
    )
    share: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
