"""Shapes of purchases and customer value at the edges (API, CLI, pages)."""

from __future__ import annotations

import datetime as dt
import math
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

EARLIEST_PURCHASE = date(1970, 1, 1)
MAX_AMOUNT = 1e9


class TransactionIn(BaseModel):
    """One purchase: who (a customer key the contact carries), when, how much.

    The key is an email, an E.164 phone number or a customer number attached to the
    contact; a key no contact carries is refused, never guessed.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_key: str = Field(min_length=1, max_length=320)
    date: dt.date
    amount: float = Field(ge=0, le=MAX_AMOUNT)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("amount must be a finite number")
        return value

    @field_validator("date")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        if value < EARLIEST_PURCHASE:
            raise ValueError(f"date before {EARLIEST_PURCHASE.isoformat()} is not plausible")
        if value > date.today():
            raise ValueError("date is in the future")
        return value


class TransactionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transactions: list[TransactionIn] = Field(min_length=1, max_length=10_000)


class Rejection(BaseModel):
    record: str
    field: str | None
    reason: str


class TransactionImportReport(BaseModel):
    read: int
    imported: int
    duplicates: int
    rejected: int
    rejections: list[Rejection] = Field(default_factory=list)
    """The first refusals (at most 100); all are kept in the rejected records."""


class ClvRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fitted_at: datetime
    triggered_by: str
    cutoff: date
    customers: int
    repeat_customers: int
    horizon_weeks: float
    annual_discount_rate: float
    r: float | None
    alpha: float | None
    a: float | None
    b: float | None
    bgnbd_log_likelihood: float | None
    p: float | None
    q: float | None
    gamma: float | None
    gamma_gamma_log_likelihood: float | None
    status: str


class CustomerValueRead(BaseModel):
    """What a contact is worth, by the latest fit; read by the case priority score."""

    model_config = ConfigDict(from_attributes=True)

    contact_id: int
    purchases: int
    repeat_purchases: int
    total_amount: float
    first_purchase: date
    last_purchase: date
    p_alive: float
    expected_purchases: float
    expected_spend: float
    clv: float
    horizon_weeks: float
    annual_discount_rate: float
    computed_at: datetime
    percentile: float
    """Share of valued contacts with a lower CLV (0–1): a scale-free priority input."""
