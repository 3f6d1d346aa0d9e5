"""Rate-limit headers, full-jitter back-off and the budget's shedding order."""

from __future__ import annotations

import random

from groundswell.channels.runtime.budget import BudgetState
from groundswell.channels.runtime.limits import RateLimits, backoff, parse_rate_limit


def test_parse_rate_limit_headers() -> None:
    limit = parse_rate_limit(
        {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1000"}
    )
    assert limit is not None and limit.wait(now=990.0) == 10.0
    assert limit.used_fraction == 1.0
    assert parse_rate_limit({"x-rate-limit-limit": "450"}) is None
    assert (
        parse_rate_limit(
            {"x-rate-limit-limit": "a", "x-rate-limit-remaining": "1", "x-rate-limit-reset": "1"}
        )
        is None
    )


def test_a_window_with_calls_left_never_waits() -> None:
    limits = RateLimits()
    limits.update(
        "GET /x",
        parse_rate_limit(
            {"x-rate-limit-limit": "5", "x-rate-limit-remaining": "1", "x-rate-limit-reset": "9e9"}
        ),
    )
    assert limits.wait("GET /x", now=0.0) == 0.0
    assert limits.wait("GET /unknown", now=0.0) == 0.0
    assert limits.snapshot()["GET /x"]["remaining"] == 1


def test_backoff_is_jittered_and_capped() -> None:
    rng = random.Random(7)
    samples = [backoff(3, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
    assert all(0 <= s <= 8.0 for s in samples)
    assert len({round(s, 3) for s in samples}) > 150  # spread, not one value
    assert all(backoff(50, cap=60.0, rng=rng) <= 60.0 for _ in range(50))


def test_budget_sheds_search_then_mentions_then_dms_never_replies() -> None:
    def shed(used: float) -> list[str]:
        return BudgetState(monthly=100.0, used=used).shed()

    assert shed(79) == []
    assert shed(80) == ["search"]
    assert shed(90) == ["search", "mentions"]
    assert shed(97) == ["search", "mentions", "dms"]
    assert BudgetState(monthly=100.0, used=500).allows("replies")
    assert BudgetState(monthly=None, used=10**9).shed() == []
