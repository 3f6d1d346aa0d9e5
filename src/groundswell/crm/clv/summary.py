"""From dated purchases to the (x, t_x, T, m_x) summary the CLV models take.

Purchases on the same day count as one transaction (their amounts summed), as in the
CDNOW analyses of the papers: a basket split over two orders is one visit. ``m_x`` is the
mean of the *repeat* transactions, the first one excluded, as the Gamma-Gamma note does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class CustomerSummary(Generic[K]):
    key: K
    x: int
    """Repeat transactions (distinct purchase days after the first) up to the cut-off."""
    t_x: float
    """Weeks from the first to the last purchase."""
    big_t: float
    """Weeks from the first purchase to the cut-off."""
    m_x: float
    """Mean amount of the repeat transactions (0 when there are none)."""
    first: date
    last: date
    total_amount: float


def summarise(
    purchases: Iterable[tuple[K, date, float]], *, cutoff: date
) -> list[CustomerSummary[K]]:
    """One summary per customer with a purchase on or before ``cutoff``."""
    by_day: dict[K, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for key, day, amount in purchases:
        if day <= cutoff:
            by_day[key][day] += amount
    out: list[CustomerSummary[K]] = []
    for key, days in by_day.items():
        ordered = sorted(days)
        first, last = ordered[0], ordered[-1]
        repeats = [days[d] for d in ordered[1:]]
        out.append(
            CustomerSummary(
                key=key,
                x=len(repeats),
                t_x=(last - first).days / 7.0,
                big_t=(cutoff - first).days / 7.0,
                m_x=sum(repeats) / len(repeats) if repeats else 0.0,
                first=first,
                last=last,
                total_amount=sum(days.values()),
            )
        )
    return out


def repeat_days_between(
    purchases: Iterable[tuple[K, date, float]], *, after: date, until: date
) -> dict[K, int]:
    """Distinct purchase days per customer in (after, until]: the holdout actuals."""
    days: dict[K, set[date]] = defaultdict(set)
    for key, day, _ in purchases:
        if after < day <= until:
            days[key].add(day)
    return {k: len(v) for k, v in days.items()}
