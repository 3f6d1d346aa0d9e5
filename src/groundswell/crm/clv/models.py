"""Purchases and the customer value fitted from them (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class Transaction(Base):
    """One purchase by a known contact, imported by file or API.

    ``external_id`` makes a re-import idempotent: a second copy of the same
    (source, external id) is skipped, not doubled.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_transactions_contact_day", "contact_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    customer_key: Mapped[str] = mapped_column(String(320))
    """The key as given (email, phone or customer number) that linked it to the contact."""
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClvModelRun(Base):
    """One fit of the two models over every contact's purchases: parameters and settings."""

    __tablename__ = "clv_model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    triggered_by: Mapped[str] = mapped_column(String(200))
    cutoff: Mapped[date] = mapped_column(Date)
    customers: Mapped[int] = mapped_column(Integer)
    repeat_customers: Mapped[int] = mapped_column(Integer)
    horizon_weeks: Mapped[float] = mapped_column(Float)
    annual_discount_rate: Mapped[float] = mapped_column(Float)
    r: Mapped[float | None] = mapped_column(Float)
    alpha: Mapped[float | None] = mapped_column(Float)
    a: Mapped[float | None] = mapped_column(Float)
    b: Mapped[float | None] = mapped_column(Float)
    bgnbd_log_likelihood: Mapped[float | None] = mapped_column(Float)
    p: Mapped[float | None] = mapped_column(Float)
    q: Mapped[float | None] = mapped_column(Float)
    gamma: Mapped[float | None] = mapped_column(Float)
    gamma_gamma_log_likelihood: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    """``fitted``, or ``too_few_customers`` when the data cannot identify the models."""


class CustomerValue(Base):
    """The latest value figures of one contact (replaced at every refit)."""

    __tablename__ = "customer_values"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("clv_model_runs.id", ondelete="CASCADE"))
    purchases: Mapped[int] = mapped_column(Integer)
    repeat_purchases: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[float] = mapped_column(Float)
    first_purchase: Mapped[date] = mapped_column(Date)
    last_purchase: Mapped[date] = mapped_column(Date)
    p_alive: Mapped[float] = mapped_column(Float)
    expected_purchases: Mapped[float] = mapped_column(Float)
    """Expected purchases over the run's horizon."""
    expected_spend: Mapped[float] = mapped_column(Float)
    """Expected amount per purchase (Gamma-Gamma)."""
    clv: Mapped[float] = mapped_column(Float)
    """Discounted value over the run's horizon."""
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
