"""Purchases in, customer value out: import, refit, and the read the case score uses.

Functions take a session and never commit. A refit reads every contact's purchases,
fits BG/NBD and Gamma-Gamma (crm/clv_math.py) and replaces the ``customer_values`` rows
in the same transaction, so readers see either the old fit or the new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import numpy as np
from sqlalchemy import delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.crm.clv import math as clv_math
from groundswell.crm.clv.models import ClvModelRun, CustomerValue, Transaction
from groundswell.crm.clv.schemas import (
    ClvRunRead,
    CustomerValueRead,
    Rejection,
    TransactionImportReport,
    TransactionIn,
)
from groundswell.crm.clv.summary import summarise
from groundswell.crm.keys import normalise_email, normalise_phone
from groundswell.crm.models import ContactKey
from groundswell.ingestion.service import record_rejections

MIN_CUSTOMERS = 20
"""Below this many buyers (or 5 repeat buyers) the four BG/NBD parameters are not identified."""
MIN_REPEAT_CUSTOMERS = 5
CUSTOMER_KEY_KIND = "customer"
"""ContactKey kind of a customer number from a shop or billing system."""


def key_candidates(raw: str) -> list[tuple[str, str]]:
    """The (kind, value) pairs a customer key may be stored under, most specific first."""
    raw = raw.strip()
    out = [(CUSTOMER_KEY_KIND, raw)]
    if "@" in raw and (email := normalise_email(raw)):
        out.append(("email", email))
    if raw.startswith("+") and (phone := normalise_phone(raw)):
        out.append(("phone", phone))
    return out


def resolve_keys(session: Session, raws: Iterable[str]) -> dict[str, int]:
    """Contact id per customer key that some contact carries."""
    wanted = {raw: key_candidates(raw) for raw in set(raws)}
    pairs = {pair for cands in wanted.values() for pair in cands}
    owners: dict[tuple[str, str], int] = {}
    pair_list = list(pairs)
    for start in range(0, len(pair_list), 500):
        chunk = pair_list[start : start + 500]
        for kind, value, contact_id in session.execute(
            select(ContactKey.kind, ContactKey.value, ContactKey.contact_id).where(
                tuple_(ContactKey.kind, ContactKey.value).in_(chunk)
            )
        ):
            owners[(kind, value)] = contact_id
    out: dict[str, int] = {}
    for raw, cands in wanted.items():
        for pair in cands:
            if pair in owners:
                out[raw] = owners[pair]
                break
    return out


def _external_id(item: TransactionIn, index: int) -> str:
    if item.external_id:
        return item.external_id
    digest = hashlib.sha256(
        f"{item.customer_key}|{item.date.isoformat()}|{item.amount!r}|{index}".encode()
    ).hexdigest()
    return f"sha256:{digest[:40]}"


def import_transactions(
    session: Session,
    *,
    source: str,
    items: Sequence[tuple[str, TransactionIn]],
    refused: Sequence[tuple[str, str | None, str, str | None]] = (),
    read: int | None = None,
) -> TransactionImportReport:
    """Store valid purchases of known customers; refuse the rest by record and field.

    ``items`` are (record ref, purchase) already validated; ``refused`` are earlier
    refusals (ref, field, reason, raw) to keep alongside the unknown customers.
    """
    rejections: list[tuple[str, str | None, str, str | None]] = list(refused)
    owners = resolve_keys(session, (item.customer_key for _, item in items))
    rows = []
    for index, (ref, item) in enumerate(items):
        contact_id = owners.get(item.customer_key)
        if contact_id is None:
            rejections.append(
                (
                    ref,
                    "customer_key",
                    "unknown customer: no contact carries this key",
                    item.model_dump_json(),
                )
            )
            continue
        rows.append(
            {
                "contact_id": contact_id,
                "customer_key": item.customer_key,
                "occurred_on": item.date,
                "amount": item.amount,
                "source": source[:300],
                "external_id": _external_id(item, index),
                "created_at": utcnow(),
            }
        )
    known: set[str] = set()
    ids = [r["external_id"] for r in rows]
    for start in range(0, len(ids), 500):
        known.update(
            session.scalars(
                select(Transaction.external_id).where(
                    Transaction.source == source[:300],
                    Transaction.external_id.in_(ids[start : start + 500]),
                )
            )
        )
    fresh, seen = [], set()
    for r in rows:
        if r["external_id"] in known or r["external_id"] in seen:
            continue
        seen.add(r["external_id"])
        fresh.append(r)
    if fresh:
        session.execute(insert(Transaction), fresh)
    if rejections:
        record_rejections(session, source=f"transactions:{source}", rejections=rejections)
    return TransactionImportReport(
        read=read if read is not None else len(items) + len(refused),
        imported=len(fresh),
        duplicates=len(rows) - len(fresh),
        rejected=len(rejections),
        rejections=[Rejection(record=r, field=f, reason=why) for r, f, why, _ in rejections[:100]],
    )


def refit(
    session: Session,
    *,
    horizon_weeks: float,
    annual_discount_rate: float,
    triggered_by: str,
    cutoff: date | None = None,
) -> ClvRunRead:
    """Fit both models on every purchase up to ``cutoff`` and store each contact's value."""
    cutoff = cutoff or utcnow().date()
    purchases = [
        (contact_id, day, amount)
        for contact_id, day, amount in session.execute(
            select(Transaction.contact_id, Transaction.occurred_on, Transaction.amount)
        )
    ]
    summaries = summarise(purchases, cutoff=cutoff)
    repeaters = sum(1 for s in summaries if s.x > 0)
    run = ClvModelRun(
        triggered_by=triggered_by[:200],
        cutoff=cutoff,
        customers=len(summaries),
        repeat_customers=repeaters,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        status="fitted",
    )
    session.add(run)
    if len(summaries) < MIN_CUSTOMERS or repeaters < MIN_REPEAT_CUSTOMERS:
        run.status = "too_few_customers"
        session.flush()
        return ClvRunRead.model_validate(run)
    x = np.array([s.x for s in summaries], dtype=float)
    t_x = np.array([s.t_x for s in summaries])
    big_t = np.array([s.big_t for s in summaries])
    m_x = np.array([s.m_x for s in summaries])
    bg = clv_math.fit_bgnbd(x, t_x, big_t)
    gg = clv_math.fit_gamma_gamma(x, m_x)
    run.r, run.alpha, run.a, run.b = bg.r, bg.alpha, bg.a, bg.b
    run.bgnbd_log_likelihood = bg.log_likelihood
    run.p, run.q, run.gamma = gg.p, gg.q, gg.gamma
    run.gamma_gamma_log_likelihood = gg.log_likelihood
    session.flush()
    alive = clv_math.probability_alive(bg, x, t_x, big_t)
    expected = clv_math.expected_purchases(bg, horizon_weeks, x, t_x, big_t)
    spend = clv_math.expected_average_spend(gg, x, m_x)
    value = clv_math.discounted_value(
        bg,
        gg,
        x=x,
        t_x=t_x,
        big_t=big_t,
        m_x=m_x,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
    )
    now = utcnow()
    session.execute(delete(CustomerValue))
    rows = [
        {
            "contact_id": s.key,
            "run_id": run.id,
            "purchases": s.x + 1,
            "repeat_purchases": s.x,
            "total_amount": s.total_amount,
            "first_purchase": s.first,
            "last_purchase": s.last,
            "p_alive": _finite(alive[i]),
            "expected_purchases": _finite(expected[i]),
            "expected_spend": _finite(spend[i]),
            "clv": _finite(value[i]),
            "computed_at": now,
        }
        for i, s in enumerate(summaries)
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(CustomerValue), rows[start : start + 1000])
    return ClvRunRead.model_validate(run)


def _finite(v: float) -> float:
    return float(v) if np.isfinite(v) else 0.0


def latest_run(session: Session) -> ClvRunRead | None:
    run = session.scalar(select(ClvModelRun).order_by(ClvModelRun.id.desc()).limit(1))
    return ClvRunRead.model_validate(run) if run else None


def refit_due(session: Session, *, interval_hours: float) -> bool:
    """True when no fit is younger than the interval (the schedule's test)."""
    last = session.scalar(select(func.max(ClvModelRun.fitted_at)))
    return last is None or utcnow() - last >= timedelta(hours=interval_hours)


def customer_value(session: Session, *, contact_id: int) -> CustomerValueRead | None:
    """What one contact is worth by the latest fit, or None if they never bought.

    For the case priority score: ``clv`` (currency, over ``horizon_weeks``), ``p_alive``
    (0–1) and ``percentile`` (0–1, mid-rank: the share of valued contacts worth less, plus
    half of those worth the same, so a lone customer sits at the neutral 0.5) — use the
    percentile to mix value with other signals without caring about the currency scale.
    """
    row = session.execute(
        select(CustomerValue, ClvModelRun)
        .join(ClvModelRun, ClvModelRun.id == CustomerValue.run_id)
        .where(CustomerValue.contact_id == contact_id)
    ).first()
    if row is None:
        return None
    value, run = row
    total = session.scalar(select(func.count()).select_from(CustomerValue)) or 1
    lower = session.scalar(
        select(func.count()).select_from(CustomerValue).where(CustomerValue.clv < value.clv)
    )
    same = session.scalar(
        select(func.count()).select_from(CustomerValue).where(CustomerValue.clv == value.clv)
    )
    return CustomerValueRead(
        contact_id=value.contact_id,
        purchases=value.purchases,
        repeat_purchases=value.repeat_purchases,
        total_amount=value.total_amount,
        first_purchase=value.first_purchase,
        last_purchase=value.last_purchase,
        p_alive=value.p_alive,
        expected_purchases=value.expected_purchases,
        expected_spend=value.expected_spend,
        clv=value.clv,
        horizon_weeks=run.horizon_weeks,
        annual_discount_rate=run.annual_discount_rate,
        computed_at=value.computed_at,
        percentile=((lower or 0) + 0.5 * (same or 1)) / total,
    )


def add_customer_key(session: Session, *, contact_id: int, key: str, source: str) -> bool:
    """Attach a shop's customer number to a contact; False if some contact has it already."""
    exists = session.scalar(
        select(ContactKey.id).where(
            ContactKey.kind == CUSTOMER_KEY_KIND, ContactKey.value == key.strip()
        )
    )
    if exists is not None:
        return False
    session.add(
        ContactKey(contact_id=contact_id, kind=CUSTOMER_KEY_KIND, value=key.strip(), source=source)
    )
    session.flush()
    return True
