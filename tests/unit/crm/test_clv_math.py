"""BG/NBD and Gamma-Gamma: published CDNOW fits, and the shape of the closed forms."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from groundswell.crm.clv import math as clv_math
from groundswell.crm.clv.summary import repeat_days_between, summarise


def _cdnow() -> Path:
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"
        if path.exists():
            return path
    pytest.skip("CDNOW sample not found beside the project")


def _rows() -> list[tuple[str, date, float]]:
    out = []
    for line in _cdnow().read_text().splitlines():
        p = line.split()
        out.append((p[0], datetime.strptime(p[2], "%Y%m%d").date(), float(p[4])))
    return out


def test_cdnow_fits_match_the_published_parameters() -> None:
    summaries = summarise(_rows(), cutoff=date(1997, 9, 30))
    assert len(summaries) == 2357
    x = np.array([s.x for s in summaries], dtype=float)
    bg = clv_math.fit_bgnbd(x, [s.t_x for s in summaries], [s.big_t for s in summaries])
    assert bg.r == pytest.approx(0.243, rel=0.01)
    assert bg.alpha == pytest.approx(4.414, rel=0.01)
    assert bg.a == pytest.approx(0.793, rel=0.01)
    assert bg.b == pytest.approx(2.426, rel=0.01)
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    gg = clv_math.fit_gamma_gamma(x, [s.m_x for s in summaries])
    assert int((x > 0).sum()) == 946
    assert gg.p == pytest.approx(6.25, rel=0.01)
    assert gg.q == pytest.approx(3.74, rel=0.01)
    assert gg.gamma == pytest.approx(15.44, rel=0.01)


def test_summary_counts_purchase_days_and_repeat_spend() -> None:
    rows = [
        ("a", date(2024, 1, 1), 10.0),
        ("a", date(2024, 1, 1), 5.0),  # same day: one transaction of 15
        ("a", date(2024, 1, 15), 20.0),
        ("a", date(2024, 1, 29), 40.0),
        ("a", date(2024, 3, 1), 99.0),  # after the cut-off
        ("b", date(2024, 1, 8), 7.0),
    ]
    by_key = {s.key: s for s in summarise(rows, cutoff=date(2024, 2, 12))}
    a, b = by_key["a"], by_key["b"]
    assert (a.x, a.t_x, a.big_t, a.m_x) == (2, 4.0, 6.0, 30.0)
    assert a.total_amount == 75.0
    assert (b.x, b.t_x, b.m_x) == (0, 0.0, 0.0)
    assert repeat_days_between(rows, after=date(2024, 2, 12), until=date(2024, 4, 1)) == {"a": 1}


def test_closed_forms_behave() -> None:
    bg = clv_math.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    # No repeat purchase: the model cannot have seen a drop-out.
    assert clv_math.probability_alive(bg, [0], [0], [30])[0] == 1.0
    # Same frequency, the one who bought recently is more likely alive.
    recent, stale = clv_math.probability_alive(bg, [5, 5], [29, 5], [30, 30])
    assert recent > stale
    e10, e52 = (clv_math.expected_purchases(bg, t, [3], [20], [30])[0] for t in (10, 52))
    assert 0 < e10 < e52
    new = clv_math.expected_purchases_new(bg, np.array([39.0, 78.0]))
    assert 0 < new[0] < new[1]
    gg = clv_math.GammaGammaParams(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    spend = clv_math.expected_average_spend(gg, [1, 50], [100.0, 100.0])
    # One purchase shrinks strongly towards the population mean; fifty hardly.
    population = 6.25 * 15.44 / 2.74
    assert population < spend[0] < spend[1] < 100.0
    value = clv_math.discounted_value(
        bg,
        gg,
        x=[3],
        t_x=[20],
        big_t=[30],
        m_x=[50.0],
        horizon_weeks=52,
        annual_discount_rate=0.1,
    )
    undiscounted = clv_math.discounted_value(
        bg,
        gg,
        x=[3],
        t_x=[20],
        big_t=[30],
        m_x=[50.0],
        horizon_weeks=52,
        annual_discount_rate=0.0,
    )
    assert 0 < value[0] < undiscounted[0]
    assert undiscounted[0] == pytest.approx(
        clv_math.expected_purchases(bg, 52, [3], [20], [30])[0]
        * clv_math.expected_average_spend(gg, [3], [50.0])[0]
    )
