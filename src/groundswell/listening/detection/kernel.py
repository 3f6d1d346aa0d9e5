"""One minute for many series at once: judge against the past, then learn.

The state of N series is an (N, L) float64 matrix (see ``layout``); every series in one
call closes the same minute, so the hour and day slots are plain column indices and the
whole step is a few dozen numpy operations, whatever N is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from groundswell.listening.detection.layout import CountLayout, Layout, SentimentLayout
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.detection.rarity import RarityLayout, RarityParams, rarity_step
from groundswell.listening.detection.tails import Array, binomial_z, poisson_z

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class MetricStep:
    """The verdict on one metric for every series in the step."""

    fired: Mask
    z: Array
    expected: Array
    observed: Array
    ratio: Array
    wait: Array
    """Expected minutes between events this surprising on this series (severity)."""
    opened: Mask


@dataclass(frozen=True, slots=True)
class _Constants:
    decay: Array
    decay2: Array
    z_alpha: float
    z_learn: float


@lru_cache(maxsize=32)
def _constants(params: DetectorParams) -> _Constants:
    halves = np.array(params.window_half_lives, dtype=np.float64)
    decay = np.where(halves > 0, np.exp2(-1.0 / np.where(halves > 0, halves, 1.0)), 0.0)
    return _Constants(decay, decay * decay, params.z_alpha, params.z_learn)


@dataclass(frozen=True, slots=True)
class _When:
    """Where the minute falls in the day and week, and which series judge and count it."""

    slots: tuple[int, int]
    """The two hour-of-day slots the minute lies between."""
    frac: float
    """How far it is from the first slot towards the second."""
    day: int
    warm: Mask
    """Past warm-up: judged."""
    counting: Mask
    """Far enough into warm-up that rarity crossings are counted."""


def _decay(weight: Array, half_life: float) -> Array:
    return np.exp2(-weight / half_life)


def _learn(state: Array, num: int, mass: int, w: Array, half_life: float, x: Array) -> None:
    """Decayed sum and weight: ``num / mass`` is a bias-free exponentially weighted mean."""
    dec = _decay(w, half_life)
    state[:, num] = state[:, num] * dec + w * x
    state[:, mass] = state[:, mass] * dec + w


def _best(z: Array, gate: Mask) -> tuple[Array, npt.NDArray[np.intp]]:
    gated = np.where(gate, z, 0.0)
    best = np.argmax(gated, axis=1)
    return gated[np.arange(gated.shape[0]), best], best


def step(
    state: Array,
    layout: Layout,
    params: DetectorParams,
    minute: int,
    total: Array,
    negative: Array,
    positive: Array,
) -> tuple[MetricStep, MetricStep, MetricStep]:
    """Judge ``minute`` for every row of ``state`` and learn from it, in place."""
    local = minute + params.utc_offset_minutes
    position = ((local % 1440) + 0.5) / 60.0 - 0.5
    floor = np.floor(position)
    frac = float(position - floor)
    day = (local // 1440 + 3) % 7
    seen = state[:, layout.seen]
    when = _When(
        slots=(int(floor) % 24, (int(floor) + 1) % 24),
        frac=frac,
        day=day,
        warm=seen >= params.warmup_minutes,
        counting=seen >= params.warmup_minutes * params.rarity_count_from,
    )
    consts = _constants(params)
    c0, c1 = layout.counts
    r0, r1, r2 = layout.rarity
    volume = _count_step(state, c0, r0, params.volume_rarity, params, consts, when, total)
    negatives = _count_step(state, c1, r1, params.rarity, params, consts, when, negative)
    net = _sentiment_step(
        state, layout.sentiment, r2, params, consts, when, total, negative, positive
    )
    state[:, layout.seen] += 1.0
    state[:, layout.last_minute] = float(minute)
    return volume, negatives, net


def _count_step(
    state: Array,
    c: CountLayout,
    rl: RarityLayout,
    rp: RarityParams,
    params: DetectorParams,
    consts: _Constants,
    when: _When,
    x: Array,
) -> MetricStep:
    slots, frac, day, warm = when.slots, when.frac, when.day, when.warm
    k = len(params.window_half_lives)
    floor = params.rate_floor
    overall = (state[:, c.glob_num] + floor) / (state[:, c.glob_mass] + 1.0)
    prior = params.profile_prior_minutes
    h0, h1 = (
        (state[:, c.hod_num + s] + prior * overall) / (state[:, c.hod_mass + s] + prior)
        for s in slots
    )
    hod = (1.0 - frac) * h0 + frac * h1
    kd = params.weekly_prior_minutes * overall
    weekly = (state[:, c.dow_num + day] + kd) / (state[:, c.dow_den + day] + kd)
    season = hod * weekly
    ka = params.level_prior_counts
    level = (state[:, c.level_x] + ka) / (state[:, c.level_s] + ka)
    mu = np.maximum(season * level, params.rate_floor)

    win = slice(c.obs, c.obs + k)
    obs = state[:, win] * consts.decay + x[:, None]
    exp = state[:, c.exp : c.exp + k] * consts.decay + mu[:, None]
    var = state[:, c.var : c.var + k] * consts.decay2 + mu[:, None]
    kp = params.dispersion_prior_minutes
    dnum = slice(c.disp_num, c.disp_num + k)
    dmass = slice(c.disp_mass, c.disp_mass + k)
    disp = np.clip((state[:, dnum] + kp) / (state[:, dmass] + kp), 1.0, params.max_dispersion)
    scale = exp / (var * disp)
    z = poisson_z(obs * scale, exp * scale)
    gate = (obs - exp >= params.min_excess) & (obs >= params.min_ratio * exp)
    zbest, best = _best(z, gate)
    rows = np.arange(x.shape[0])
    ratio = obs[rows, best] / exp[rows, best]
    suspicious = warm & (zbest > consts.z_learn)
    rare = rarity_step(state, rl, rp, zbest, zbest > 0, warm, counting=when.counting)
    fired = rare.fired
    # The firing window's own figures, per minute: its weighted mean observed and expected.
    per_minute = 1.0 - consts.decay[best]
    window_obs = obs[rows, best] * per_minute
    window_exp = exp[rows, best] * per_minute

    w = np.where(suspicious, params.anomaly_weight, 1.0)
    wd = w * warm
    xl = np.where(suspicious, np.minimum(x, mu * params.anomaly_clip_ratio), x)
    state[:, win] = obs
    state[:, c.exp : c.exp + k] = exp
    state[:, c.var : c.var + k] = var
    r2 = np.minimum((obs - exp) ** 2 / var, params.max_residual2)
    dd = _decay(wd, params.dispersion_half_life_minutes)[:, None]
    state[:, dnum] = state[:, dnum] * dd + wd[:, None] * r2
    state[:, dmass] = state[:, dmass] * dd + wd[:, None]

    hod_half = params.daily_half_life_days * 60.0
    for slot, share in zip(slots, (1.0 - frac, frac), strict=True):
        ws = w * share
        dec = _decay(ws, hod_half)
        state[:, c.hod_num + slot] = state[:, c.hod_num + slot] * dec + ws * xl
        state[:, c.hod_mass + slot] = state[:, c.hod_mass + slot] * dec + ws
    dec = _decay(wd, params.weekly_half_life_weeks * 1440.0)
    state[:, c.dow_num + day] = state[:, c.dow_num + day] * dec + wd * xl
    state[:, c.dow_den + day] = state[:, c.dow_den + day] * dec + wd * hod
    _learn(state, c.glob_num, c.glob_mass, w, params.global_half_life_minutes, xl)
    dec = _decay(w, params.level_half_life_minutes)
    state[:, c.level_x] = state[:, c.level_x] * dec + w * xl
    state[:, c.level_s] = state[:, c.level_s] * dec + w * season
    return MetricStep(fired, zbest, window_exp, window_obs, ratio, rare.wait_minutes, rare.opened)


def _sentiment_step(
    state: Array,
    s: SentimentLayout,
    rl: RarityLayout,
    params: DetectorParams,
    consts: _Constants,
    when: _When,
    total: Array,
    negative: Array,
    positive: Array,
) -> MetricStep:
    warm = when.warm
    k = len(params.window_half_lives)
    ks = params.share_prior_posts
    tot = state[:, s.share_tot] + ks
    qn = (state[:, s.share_neg] + ks * params.prior_negative_share) / tot
    qp = (state[:, s.share_pos] + ks * params.prior_positive_share) / tot

    d, d2 = consts.decay, consts.decay2
    n = state[:, s.n : s.n + k] * d + total[:, None]
    n2 = state[:, s.n2 : s.n2 + k] * d2 + total[:, None]
    neg = state[:, s.neg : s.neg + k] * d + negative[:, None]
    pos = state[:, s.pos : s.pos + k] * d + positive[:, None]
    kp = params.dispersion_prior_minutes
    dnum = slice(s.disp_num, s.disp_num + k)
    dmass = slice(s.disp_mass, s.disp_mass + k)
    disp = np.clip((state[:, dnum] + kp) / (state[:, dmass] + kp), 1.0, params.max_dispersion)
    has = n2 > 0
    scale = np.where(has, n / np.where(has, n2 * disp, 1.0), 0.0)
    n_eff = n * scale
    q = qn[:, None]
    z = binomial_z(neg * scale, n_eff, q)
    net_obs = np.where(n > 0, (pos - neg) / np.where(n > 0, n, 1.0), 0.0)
    net_exp = qp - qn
    gate = (n_eff >= params.min_sentiment_posts) & (
        net_exp[:, None] - net_obs >= params.min_sentiment_drop
    )
    zbest, best = _best(z, gate)
    rows = np.arange(total.shape[0])
    ratio = np.where(
        n_eff[rows, best] > 0,
        neg[rows, best] * scale[rows, best] / np.maximum(n_eff[rows, best] * qn, 1e-12),
        1.0,
    )
    suspicious = warm & (zbest > consts.z_learn)
    rare = rarity_step(state, rl, params.rarity, zbest, zbest > 0, warm, counting=when.counting)
    fired = rare.fired

    w = np.where(suspicious, params.anomaly_weight, 1.0)
    state[:, s.n : s.n + k] = n
    state[:, s.n2 : s.n2 + k] = n2
    state[:, s.neg : s.neg + k] = neg
    state[:, s.pos : s.pos + k] = pos
    var = q * (1.0 - q) * n2
    r2 = np.where(has, (neg - q * n) ** 2 / np.where(has, var, 1.0), 0.0)
    r2 = np.minimum(r2, params.max_residual2)
    wd = (w * warm)[:, None] * has
    dd = _decay(wd, params.dispersion_half_life_minutes)
    state[:, dnum] = state[:, dnum] * dd + wd * r2
    state[:, dmass] = state[:, dmass] * dd + wd
    dec = _decay(w, params.share_half_life_minutes)
    state[:, s.share_neg] = state[:, s.share_neg] * dec + w * negative
    state[:, s.share_pos] = state[:, s.share_pos] * dec + w * positive
    state[:, s.share_tot] = state[:, s.share_tot] * dec + w * total
    return MetricStep(
        fired, zbest, net_exp, net_obs[rows, best], ratio, rare.wait_minutes, rare.opened
    )
