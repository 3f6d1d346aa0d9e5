"""How rare a surprise is on *this* series, and alert episodes.

A deviate says how far a window is from its baseline in noise units, but real series have
heavy tails: on a bursty brand a 6-deviate hour comes every day, on a quiet one never. So
the detector does not alert on a deviate; it counts, per series, how often the evidence
has *crossed upwards* through each of a ladder of levels (2, 2.8, 4, … 32,768: one crossing
is one event, however long it lasts), with a memory of weeks, and turns the evidence of
this step into an expected waiting time between such events on this series (at the
highest level it reaches). An alert
opens when that wait is longer than ``min_wait_minutes``; the severity is the same wait
on a fixed scale (a few times a day ≤ 3, rarer than once a week ≥ 8), so it means the
same on every series.

Before a series has history, a prior of ``rarity_prior_steps`` steps with normal-tail
crossing rates stands in; it fades as the series' own crossings are counted. A level
never crossed counts a fraction of an event (``UNSEEN``), so rarity is bounded by how
much history there is.

An episode opens with the first step rare enough and stays open (its steps keep firing
while their evidence is still significant) until every window has stayed below
``settle_deviate`` for ``settle_steps`` steps: a sustained surge is one episode, and a
new one needs the series to have settled first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

LEVELS = np.array([2.0 ** (i / 2.0) for i in range(2, 31)])
"""Evidence levels whose upcrossings are counted: 2, 2.83, 4, … 32,768 (√2 apart).

The ladder goes far: on a busy, bursty series (a brand's mentions) most bursts reach
deviates well above 32, and a ladder that stopped there would count them all as
crossings of its top level, so a routine burst and a rare one would read the same wait.
"""

_LOG_FEW_A_DAY = math.log10(480.0)
_LOG_A_WEEK = math.log10(10080.0)


PRIOR_RATE = np.maximum([0.5 * math.erfc(v / math.sqrt(2.0)) for v in LEVELS], 1e-12)
"""Normal-tail probability of each level: the crossing rate assumed before any history."""

UNSEEN = 0.5 * (LEVELS[0] / LEVELS) ** 2
"""Pseudo-events added to each level's count: half an event at the first level, four
times fewer per doubling of the deviate. A level this series has never crossed is then
judged rare by as much as its history can tell (not infinitely rare), and a larger
surprise still rarer than a smaller one."""


@dataclass(frozen=True, slots=True)
class RarityParams:
    min_wait_minutes: float
    half_life_steps: float
    prior_steps: float
    settle_deviate: float
    settle_steps: float
    min_deviate: float


@dataclass(frozen=True, slots=True)
class RarityLayout:
    prev: int
    counts: int  # len(LEVELS) decayed upcrossing counts
    mass: int  # decayed steps
    active: int  # 1 inside an episode
    calm: int  # consecutive calm steps inside an episode
    size: int


def rarity_layout(start: int) -> RarityLayout:
    n = len(LEVELS)
    return RarityLayout(
        prev=start,
        counts=start + 1,
        mass=start + 1 + n,
        active=start + 2 + n,
        calm=start + 3 + n,
        size=4 + n,
    )


@dataclass(frozen=True, slots=True)
class Rarity:
    fired: Mask
    """The step opens an episode or continues an open one."""
    opened: Mask
    wait_minutes: Array
    """Expected minutes between events at least this surprising, on this series."""


def wait_minutes(state: Array, r: RarityLayout, p: RarityParams, e: Array, step: float) -> Array:
    """The expected wait between upcrossings of the highest level at or below ``e``.

    Taking the level below (not interpolating towards the next one, whose rate may rest
    on no crossing at all) keeps a series' routine bursts, which peak between two
    levels, from looking rarer than they are. Below the first level, a step is routine.
    """
    n = len(LEVELS)
    mass = state[:, r.mass : r.mass + 1]
    rate = (state[:, r.counts : r.counts + n] + p.prior_steps * PRIOR_RATE + UNSEEN) / (
        mass + p.prior_steps
    )
    rate = np.minimum.accumulate(rate, axis=1)
    i = np.searchsorted(LEVELS, e, side="right") - 1
    rows = np.arange(e.shape[0])
    at = rate[rows, np.maximum(i, 0)]
    return np.asarray(np.where(i >= 0, step / at, step), dtype=np.float64)


def severity_of_wait(wait: float) -> int:
    """1–10 on a fixed scale of waiting time: 8 hours → 3, one week → 8."""
    score = 3.0 + 5.0 * (math.log10(max(wait, 1e-9)) - _LOG_FEW_A_DAY) / (
        _LOG_A_WEEK - _LOG_FEW_A_DAY
    )
    return max(1, min(10, math.floor(score + 0.5)))


def rarity_step(
    state: Array,
    r: RarityLayout,
    p: RarityParams,
    e: Array,
    gate: Mask,
    warm: Mask,
    step_minutes: float = 1.0,
    counting: Mask | None = None,
) -> Rarity:
    """Decide episodes for evidence ``e`` (0 where the move is too small), then learn."""
    wait = wait_minutes(state, r, p, e, step_minutes)
    active = state[:, r.active] > 0
    rare = warm & gate & (e >= p.min_deviate) & (wait >= p.min_wait_minutes)
    opened = rare & ~active
    calm = np.where(e < p.settle_deviate, state[:, r.calm] + 1.0, 0.0)
    settled = active & (calm >= p.settle_steps)
    continuing = active & ~settled & gate & (e >= p.min_deviate)
    now_active = (active & ~settled) | opened
    state[:, r.calm] = np.where(now_active, calm, 0.0)
    state[:, r.active] = now_active.astype(np.float64)

    # Only ``counting`` steps count (judged steps if not given): early in the warm-up the
    # baseline is still forming, and its deviates say more about the detector than
    # about the series. The kernel counts from half-way through the warm-up.
    n = len(LEVELS)
    count = warm if counting is None else counting
    up = (state[:, r.prev : r.prev + 1] < LEVELS) & (e[:, None] >= LEVELS) & count[:, None]
    decay = np.where(count, math.exp2(-1.0 / p.half_life_steps), 1.0)
    state[:, r.counts : r.counts + n] = state[:, r.counts : r.counts + n] * decay[:, None] + up
    state[:, r.mass] = state[:, r.mass] * decay + count
    state[:, r.prev] = e
    return Rarity(opened | continuing, opened, wait)
