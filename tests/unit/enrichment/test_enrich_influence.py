"""Influence: bounded, log-scaled, non-decreasing in each input."""

from __future__ import annotations

import itertools

import pytest

from groundswell.enrichment.influence import influence_score

FOLLOWERS: list[int | None] = [
    None,
    0,
    1,
    10,
    150,
    1_000,
    25_000,
    1_000_000,
    10_000_000,
    500_000_000,
]
COUNTS = [0, 1, 3, 10, 100, 5_000, 100_000, 10_000_000]


def test_bounds() -> None:
    assert influence_score(None, 0, 0, 0, False) == 0.0
    assert influence_score(10**12, 10**9, 10**9, 10**9, True) == 100.0
    for followers, count in itertools.product(FOLLOWERS, COUNTS):
        for verified in (False, True):
            assert 0.0 <= influence_score(followers, count, count, count, verified) <= 100.0


def test_unknown_followers_count_as_none_and_negatives_as_zero() -> None:
    assert influence_score(None, 5, 1, 0, False) == influence_score(0, 5, 1, 0, False)
    assert influence_score(-10, -1, -1, -1, False) == 0.0


def test_monotone_in_followers() -> None:
    scores = [influence_score(f, 10, 2, 1, False) for f in FOLLOWERS]
    assert scores == sorted(scores)
    assert scores[-1] > scores[0]


@pytest.mark.parametrize("position", range(3))
def test_monotone_in_each_engagement_count(position: int) -> None:
    scores = []
    for value in COUNTS:
        counts = [10, 2, 1]
        counts[position] = value
        scores.append(influence_score(1_000, counts[0], counts[1], counts[2], False))
    assert scores == sorted(scores)
    assert scores[-1] > scores[0]


def test_monotone_in_every_input_over_a_grid() -> None:
    known = [f for f in FOLLOWERS if f is not None]
    grid = itertools.product(known, COUNTS[:5], COUNTS[:5], COUNTS[:5], (False, True))
    for f, likes, shares, replies, verified in grid:
        score = influence_score(f, likes, shares, replies, verified)
        assert influence_score(f * 10 + 1, likes, shares, replies, verified) >= score
        assert influence_score(f, likes + 1, shares, replies, verified) >= score
        assert influence_score(f, likes, shares + 1, replies, verified) >= score
        assert influence_score(f, likes, shares, replies + 1, verified) >= score
        assert influence_score(f, likes, shares, replies, True) >= score


def test_log_scale_gives_each_decade_the_same_step() -> None:
    step_small = influence_score(1_000, 0, 0, 0, False) - influence_score(100, 0, 0, 0, False)
    step_big = influence_score(10**6, 0, 0, 0, False) - influence_score(10**5, 0, 0, 0, False)
    assert step_small == pytest.approx(step_big, abs=0.1)
    assert step_small > 0


def test_verified_and_shares_raise_the_score() -> None:
    assert influence_score(500, 0, 0, 0, True) > influence_score(500, 0, 0, 0, False)
    assert influence_score(500, 0, 5, 0, False) > influence_score(500, 5, 0, 0, False)
