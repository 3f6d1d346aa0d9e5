"""Log-spaced histograms: buckets, quantiles within the stated error, merging, deltas."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import (
    CaseFacts,
    Figures,
    Message,
    contribution,
    contribution_from_json,
    contribution_to_json,
    delta,
)
from groundswell.engagement.business_time import Schedule


def test_bucket_bounds_hold_their_values() -> None:
    for seconds in (0.0, 0.4, 1.0, 1.5, 59.0, 60.0, 3600.0, 86_400.0 * 40):
        b = histogram.bucket_of(seconds)
        low, high = histogram.bounds(b)
        assert low <= seconds < high or (b == 0 and seconds < 1)


def test_quantile_error_is_within_the_documented_bound() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(8, 1.5) for _ in range(5001)]
    hist = histogram.of(values)
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.99):
        exact = ordered[math.ceil(q * len(ordered)) - 1]
        got = histogram.quantile(hist, q)
        assert got is not None
        assert abs(got - exact) / exact <= histogram.RELATIVE_ERROR + 1e-12


def test_quantiles_of_known_values() -> None:
    hist = histogram.of([60, 120, 180, 240, 3600])
    median = histogram.quantile(hist, 0.5)
    p90 = histogram.quantile(hist, 0.9)
    assert median == pytest.approx(180, rel=histogram.RELATIVE_ERROR)
    assert p90 == pytest.approx(3600, rel=histogram.RELATIVE_ERROR)
    assert histogram.quantile({}, 0.5) is None
    with pytest.raises(ValueError):
        histogram.quantile(hist, 0)


def test_merge_is_addition_and_negation_cancels() -> None:
    a = histogram.of([10, 20, 30])
    b = histogram.of([20, 40])
    both: histogram.Hist = {}
    histogram.merge(both, a)
    histogram.merge(both, histogram.to_json(b))  # string keys, as stored
    assert both == histogram.of([10, 20, 30, 20, 40])
    histogram.merge(both, histogram.negate(b))
    assert both == a


T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ALWAYS = Schedule(tz="UTC", hours=[[(0, 1440)]] * 7)


def _case(**kw: object) -> CaseFacts:
    base: dict[str, object] = {
        "case_id": 1,
        "opened_at": T,
        "first_responded_at": None,
        "resolved_at": None,
        "channel": "twitter",
        "priority": "normal",
        "agent_id": 5,
        "team_id": 2,
        "queue_id": 2,
        "schedule": ALWAYS,
    }
    base.update(kw)
    return CaseFacts(**base)  # type: ignore[arg-type]


def test_contribution_dates_each_figure_by_its_event() -> None:
    case = _case(
        first_responded_at=T + timedelta(minutes=30),
        resolved_at=T + timedelta(days=1),
        first_response_min=60,
        resolution_min=60,
        messages=(
            Message(T, True, -0.8),
            Message(T + timedelta(minutes=30), False),
            Message(T + timedelta(minutes=40), True, 0.2),
            Message(T + timedelta(minutes=50), False),
        ),
        subject_ids=(9,),
    )
    c = contribution(case)
    opened_day = c[(T.date(), "all", "")]
    assert opened_day.counts["opened"] == 1
    assert opened_day.counts["sla_first_met"] == 1
    assert opened_day.counts["lift_sum"] == pytest.approx(1.0)
    assert opened_day.counts["next_responses"] == 1  # 10 min after the customer wrote again
    resolved_day = c[(T.date() + timedelta(days=1), "agent", "5")]
    assert resolved_day.counts["resolved"] == 1
    assert resolved_day.counts.get("sla_resolve_met", 0) == 0  # a day against one hour
    assert resolved_day.counts["replies_resolved"] == 2
    assert (T.date(), "subject", "9") in c
    assert contribution_from_json(contribution_to_json(c)).keys() == c.keys()


def test_delta_of_a_reassignment_moves_the_case() -> None:
    before = contribution(_case(agent_id=5))
    after = contribution(_case(agent_id=6))
    d = delta(before, after)
    assert d[(T.date(), "agent", "5")].counts["opened"] == -1
    assert d[(T.date(), "agent", "6")].counts["opened"] == 1
    assert (T.date(), "all", "") not in d  # unchanged rows are left alone
    assert Figures().is_zero()


def test_packed_rows_add_up_like_the_histograms() -> None:
    names = ("frt_bus", "res_bus")
    a = {"frt_bus": histogram.of([5, 60, 3600]), "res_bus": histogram.of([86_400])}
    b = {"frt_bus": histogram.of([60, 0.2])}
    assert histogram.unpack(histogram.pack(a, names), names) == a
    assert histogram.pack({}, names) == b""
    dense = np.zeros((len(names), histogram.WIDTH), dtype=np.int64)
    histogram.unpack_into(histogram.pack(a, names), dense)
    histogram.unpack_into(histogram.pack(b, names), dense)
    histogram.unpack_into(None, dense)
    summed = histogram.from_dense(dense, names)
    assert summed["frt_bus"] == histogram.of([5, 60, 3600, 60, 0.2])
    assert summed["res_bus"] == a["res_bus"]
