"""A candidate detector, measured in the bench only: residuals against a seasonal
baseline, scaled by the series' own recent residuals, over several evidence windows; an
alert opens only on a deviate that is also *rare on this series* (its level crossed less
than once per ``rare_days``), and alerts come in episodes (one opening per burst, a new
one only once the series has settled, has held its new level long enough, or after
``max_episode_steps``).

It is not wired into the product: see "NAB" in ``docs/spike-detection.md`` for why.

Residuals are taken in a variance-stabilised space (the Anscombe root for counts, the
value itself for levels), and each evidence window keeps an exponentially weighted mean
absolute deviation of its own past window means: a series that is bursty, or whose
minutes are correlated, learns a wide scale and needs a larger move to surprise.

Rarity is what lets one threshold serve quiet, busy and heavy-tailed series: a series
whose usual residuals are tiny but whose bursts are huge (disk bytes, CPU of a batch host)
has a small robust scale, so its usual bursts reach deviates of hundreds; they are then
common *for it*, and only a move beyond them is news.

State is an (N, L) float64 matrix like the rest of the detector (97 floats per series with
the defaults); each row may sit at its own time-of-day slot and clock (``day_steps``), so
series on different clocks step together. Backfill is the same step run over history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

MAD_TO_SD = 1.2533
"""σ / mean absolute deviation for a normal distribution (√(π/2))."""


LEVELS = 2.0 ** (np.arange(2, 31) / 2.0)
"""Deviate levels whose up-crossings are counted: 2 to 32,768 by factors of √2."""


@dataclass(frozen=True, slots=True)
class RobustParams:
    """Step counts are in rows of the series (5 minutes for most NAB files)."""

    window_half_lives: tuple[float, ...] = (0.0, 3.0, 12.0)
    """Evidence windows in steps, exponentially weighted; 0 is the single step."""
    level_half_life: float = 288.0
    """Memory of the series' level (steps; a day of 5-minute rows)."""
    slots_per_day: int = 24
    """Time-of-day slots of the seasonal profile (24: hours)."""
    season_half_life_days: float = 7.0
    """Memory of each slot's offset from the level (days of the series' clock)."""
    season_prior_days: float = 5.0
    """A slot's offset counts fully once it has seen about this many days."""
    scale_half_life: float = 2880.0
    """Memory of the residual scales (steps)."""
    threshold: float = 4.0
    """Smallest deviate that may open an alert episode (rarity decides above it)."""
    learn_threshold: float = 3.0
    """Residuals are winsorised at this deviate when learned."""
    anomaly_weight: float = 0.05
    """Learning weight of a step inside a young episode."""
    episode_weighting: bool = True
    """Learn little only from steps inside a young episode (winsorised learning elsewhere),
    rather than from every step above ``learn_threshold``: a scale that starts too small can
    then grow back instead of collapsing for good."""
    adapt_steps: float = 72.0
    """An episode older than this is a new regime: the baseline and scales learn it at full
    weight, unclipped, so a lasting level change does not hold the episode open forever."""
    settle_threshold: float = 1.5
    """An episode ends once every window has stayed below this deviate …"""
    settle_steps: float = 24.0
    """… for this many consecutive steps."""
    settle_when_common: bool = True
    """A step also counts as calm when its deviate is not rare on this series, so a series
    whose scale is too small for its quantisation still settles (levels only: a count
    series has its Poisson floor)."""
    max_episode_steps: float = 288.0
    """An episode closes after this many steps even if the series has not settled, so a
    new rare move on a series that changed regime can open a new one."""
    rarity: bool = True
    """Also ask the deviate to be rare *on this series*: the level it reaches must have been
    crossed upward less than once per ``rare_days`` (decayed counts of up-crossings on a
    log grid of deviates). A heavy-tailed series, whose robust scale is small beside its
    usual bursts, then needs a move beyond its usual bursts."""
    rare_days: float = 1.0
    """The waiting time (days) that makes a level rare; converted to steps per series."""
    count_rare_days: float | None = 4.0
    """The same for count series (mentions), if it differs (None: ``rare_days``)."""
    rarity_half_life: float = 8064.0
    """Memory of the up-crossing counts (steps; four weeks of 5-minute rows)."""
    count_scale_floor: float = 1.0
    """Floor of a count series' residual scale in root space, where Poisson noise is 1:
    no series is judged less noisy than Poisson."""
    two_sided: bool = False
    """Judge drops as well as rises (levels such as sentiment; counts only rise)."""


@dataclass(frozen=True, slots=True)
class RobustLayout:
    k: int
    level: int
    level_mass: int
    season: int  # one offset per time-of-day slot
    season_mass: int
    win: int  # K decayed residual sums
    wmass: int  # K decayed weights
    mad: int  # K decayed absolute window means
    mad_mass: int  # K
    calm: int  # consecutive calm steps
    age: int  # steps since the episode opened
    active: int  # 1 inside an episode
    seen: int
    slots: int
    prev: int  # last step's surprise
    cross: int  # decayed up-crossing counts per deviate level
    cross_mass: int
    size: int


def robust_layout(k: int, start: int = 0, slots: int = 24) -> RobustLayout:
    at = start
    out: dict[str, int] = {"k": k}
    for name, width in (
        ("level", 1),
        ("level_mass", 1),
        ("season", slots),
        ("season_mass", slots),
        ("win", k),
        ("wmass", k),
        ("mad", k),
        ("mad_mass", k),
        ("calm", 1),
        ("age", 1),
        ("active", 1),
        ("seen", 1),
        ("prev", 1),
        ("cross", len(LEVELS)),
        ("cross_mass", 1),
    ):
        out[name] = at
        at += width
    out["size"] = at - start
    out["slots"] = slots
    return RobustLayout(**out)


@dataclass(frozen=True, slots=True)
class RobustStep:
    z: Array
    """Signed deviate of the most surprising window (positive: above the baseline)."""
    best: Ints
    """Which window it was."""
    baseline: Array
    """The stabilised-space expectation of this step."""
    opened: npt.NDArray[np.bool_]
    """A new episode starts at this step."""
    active: npt.NDArray[np.bool_]
    """The step belongs to an episode (opened now or earlier and not settled)."""


def _decays(params: RobustParams) -> Array:
    h = np.asarray(params.window_half_lives, dtype=np.float64)
    return np.where(h > 0, np.exp2(-1.0 / np.where(h > 0, h, 1.0)), 0.0)


def robust_step(
    state: Array,
    lay: RobustLayout,
    params: RobustParams,
    y: Array,
    slot: Ints,
    warm: npt.NDArray[np.bool_],
    scale_floor: Array | float,
    day_steps: Array | float = 288.0,
) -> RobustStep:
    """Judge stabilised values ``y`` (one per row) at time-of-day slots ``slot``, then learn.

    ``warm`` rows may open episodes (the others only learn); ``day_steps`` is each series'
    number of steps per day, which turns the day-valued settings into steps.
    """
    rows = np.arange(y.shape[0])
    k = lay.k
    fresh = state[:, lay.level_mass] <= 0
    level = np.where(fresh, y, state[:, lay.level] / np.maximum(state[:, lay.level_mass], 1e-300))
    smass = state[rows, lay.season_mass + slot]
    season = np.where(smass > 0, state[rows, lay.season + slot] / np.maximum(smass, 1e-300), 0.0)
    # Updates a slot gets per day: the seasonal memories are in days of the series' clock.
    slot_updates = np.asarray(day_steps, dtype=np.float64) / lay.slots
    shrink = smass / (smass + params.season_prior_days * slot_updates)
    base = level + shrink * season
    r = y - base

    d = _decays(params)
    win = state[:, lay.win : lay.win + k] * d + r[:, None]
    wmass = state[:, lay.wmass : lay.wmass + k] * d + 1.0
    mean = win / wmass
    mad_mass = state[:, lay.mad_mass : lay.mad_mass + k]
    floor = np.asarray(scale_floor, dtype=np.float64)
    floor = np.broadcast_to(floor, y.shape)[:, None] * np.sqrt((1.0 - d) / (1.0 + d))
    mad = np.where(
        mad_mass > 0, state[:, lay.mad : lay.mad + k] / np.maximum(mad_mass, 1e-300), np.inf
    )
    sd = np.maximum(MAD_TO_SD * mad, floor)
    z = mean / sd
    score = np.abs(z) if params.two_sided else z
    best = np.argmax(score, axis=1)
    zbest = z[rows, best]
    raw = np.abs(zbest) if params.two_sided else np.maximum(zbest, 0.0)
    raw = np.where(np.isfinite(raw), raw, 0.0)
    surprise = np.where(warm, raw, 0.0)

    # Rarity: decayed counts of up-crossings of each deviate level, judged before this
    # step is counted (a level never crossed is rare once the series has a day of history).
    nl = len(LEVELS)
    cross = state[:, lay.cross : lay.cross + nl]
    cmass = state[:, lay.cross_mass]
    j = np.clip(np.searchsorted(LEVELS, surprise, side="right") - 1, 0, nl - 1)
    rare = cross[rows, j] * (params.rare_days * np.asarray(day_steps)) < cmass
    up = (raw[:, None] >= LEVELS) & (state[:, lay.prev][:, None] < LEVELS)
    dr = np.exp2(-1.0 / params.rarity_half_life)
    state[:, lay.cross : lay.cross + nl] = cross * dr + up
    state[:, lay.cross_mass] = cmass * dr + 1.0
    state[:, lay.prev] = raw

    active = state[:, lay.active] > 0
    starting = ~active & (surprise >= params.threshold)
    if params.rarity:
        starting &= rare
    opened = starting & warm
    quiet = surprise < params.settle_threshold
    if params.settle_when_common:
        quiet |= ~rare
    calm = np.where(quiet, state[:, lay.calm] + 1.0, 0.0)
    ended = active & (
        (calm >= params.settle_steps) | (state[:, lay.age] + 1.0 >= params.max_episode_steps)
    )
    now_active = (active | starting) & ~ended
    age = np.where(now_active, np.where(starting, 0.0, state[:, lay.age] + 1.0), 0.0)
    state[:, lay.calm] = calm
    state[:, lay.age] = age
    state[:, lay.active] = now_active.astype(np.float64)

    # Learning: a surprising step teaches little, and is winsorised at the threshold,
    # unless its episode has lasted long enough to be the series' new regime.
    adapting = now_active & (age >= params.adapt_steps)
    if params.episode_weighting:
        suspicious = ~adapting
        w = np.where(now_active & ~adapting, params.anomaly_weight, 1.0)
    else:
        suspicious = (surprise >= params.learn_threshold) & ~adapting
        w = np.where(suspicious, params.anomaly_weight, 1.0)
    sd0 = sd[:, 0]
    rc = np.clip(r, -params.learn_threshold * sd0, params.learn_threshold * sd0)
    rc = np.where(np.isfinite(rc), rc, r)
    dl = np.exp2(-w / params.level_half_life)
    resid_level = y - shrink * season
    state[:, lay.level] = state[:, lay.level] * dl + w * np.where(
        fresh, y, np.where(suspicious, base + rc, resid_level)
    )
    state[:, lay.level_mass] = state[:, lay.level_mass] * dl + w
    ds = np.exp2(-w / (params.season_half_life_days * slot_updates))
    off = y - level
    off = np.where(
        suspicious,
        np.clip(off, season - params.learn_threshold * sd0, season + params.learn_threshold * sd0),
        off,
    )
    off = np.where(np.isfinite(off), off, y - level)
    state[rows, lay.season + slot] = state[rows, lay.season + slot] * ds + w * off
    state[rows, lay.season_mass + slot] = smass * ds + w

    state[:, lay.win : lay.win + k] = win
    state[:, lay.wmass : lay.wmass + k] = wmass
    dm = np.exp2(-w / params.scale_half_life)[:, None]
    cap = np.where(np.isfinite(sd), params.learn_threshold * sd, np.abs(mean))
    cap = np.where(adapting[:, None], np.inf, cap)
    state[:, lay.mad : lay.mad + k] = state[:, lay.mad : lay.mad + k] * dm + w[
        :, None
    ] * np.minimum(np.abs(mean), cap)
    state[:, lay.mad_mass : lay.mad_mass + k] = mad_mass * dm + w[:, None]
    state[:, lay.seen] += 1.0
    return RobustStep(zbest, best, base, opened, now_active)
