"""A candidate detector, measured in the bench only: residuals against a seasonal
baseline, scaled by the series' own recent residuals, over several evidence windows, with
alert episodes (one opening per burst, a new one only once the series has settled).

It is not wired into the product: see "NAB" in ``docs/spike-detection.md`` for why.

Residuals are taken in a variance-stabilised space (the Anscombe root for counts, the
value itself for levels), and each evidence window keeps an exponentially weighted mean
absolute deviation of its own past window means: a series that is bursty, or whose
minutes are correlated, learns a wide scale and needs a larger move to surprise.

State is an (N, L) float64 matrix like the rest of the detector; each row may sit at its
own hour-of-day slot, so series on different clocks step together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

MAD_TO_SD = 1.2533
"""σ / mean absolute deviation for a normal distribution (√(π/2))."""


@dataclass(frozen=True, slots=True)
class RobustParams:
    window_half_lives: tuple[float, ...] = (0.0, 3.0, 12.0)
    """Evidence windows in steps, exponentially weighted; 0 is the single step."""
    level_half_life: float = 720.0
    """Memory of the series' level (steps)."""
    season_half_life_days: float = 7.0
    """Memory of each hour-of-day slot's offset from the level (days of that slot)."""
    scale_half_life: float = 2880.0
    """Memory of the residual scales (steps)."""
    threshold: float = 8.0
    """Deviate at which a step is surprising enough to open an alert episode."""
    learn_threshold: float = 3.0
    """Steps beyond this deviate learn with ``anomaly_weight`` only."""
    anomaly_weight: float = 0.05
    settle_threshold: float = 1.5
    """An episode ends once every window has stayed below this deviate …"""
    settle_steps: float = 36.0
    """… for this many consecutive steps."""
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
    season: int  # 24 slot offsets
    season_mass: int  # 24
    win: int  # K decayed residual sums
    wmass: int  # K decayed weights
    mad: int  # K decayed absolute window means
    mad_mass: int  # K
    calm: int  # consecutive calm steps
    active: int  # 1 inside an episode
    seen: int
    size: int


def robust_layout(k: int, start: int = 0) -> RobustLayout:
    at = start
    out: dict[str, int] = {"k": k}
    for name, width in (
        ("level", 1),
        ("level_mass", 1),
        ("season", 24),
        ("season_mass", 24),
        ("win", k),
        ("wmass", k),
        ("mad", k),
        ("mad_mass", k),
        ("calm", 1),
        ("active", 1),
        ("seen", 1),
    ):
        out[name] = at
        at += width
    out["size"] = at - start
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
) -> RobustStep:
    """Judge stabilised values ``y`` (one per row) at hour slots ``slot``, then learn."""
    rows = np.arange(y.shape[0])
    k = lay.k
    fresh = state[:, lay.level_mass] <= 0
    level = np.where(fresh, y, state[:, lay.level] / np.maximum(state[:, lay.level_mass], 1e-300))
    smass = state[rows, lay.season_mass + slot]
    season = np.where(smass > 0, state[rows, lay.season + slot] / np.maximum(smass, 1e-300), 0.0)
    shrink = smass / (smass + 60.0)
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
    surprise = np.abs(zbest) if params.two_sided else np.maximum(zbest, 0.0)
    surprise = np.where(warm, surprise, 0.0)

    active = state[:, lay.active] > 0
    opened = warm & ~active & (surprise >= params.threshold)
    calm = np.where(surprise < params.settle_threshold, state[:, lay.calm] + 1.0, 0.0)
    now_active = (active | opened) & ~(active & (calm >= params.settle_steps))
    state[:, lay.calm] = calm
    state[:, lay.active] = now_active.astype(np.float64)

    # Learning: a surprising step teaches little, and is winsorised at the threshold.
    suspicious = surprise >= params.learn_threshold
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
    ds = np.exp2(-w / (params.season_half_life_days * 60.0))
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
    state[:, lay.mad : lay.mad + k] = state[:, lay.mad : lay.mad + k] * dm + w[
        :, None
    ] * np.minimum(np.abs(mean), cap)
    state[:, lay.mad_mass : lay.mad_mass + k] = mad_mass * dm + w[:, None]
    state[:, lay.seen] += 1.0
    return RobustStep(zbest, best, base, opened, now_active)
