"""Every tunable of the detector in one frozen value; defaults are the documented method."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from groundswell.listening.detection.rarity import RarityParams


@dataclass(frozen=True, slots=True)
class DetectorParams:
    """Parameters of the spike detector; ``docs/spike-detection.md`` explains each choice.

    Half-lives are in minutes of the relevant clock: the hour-of-day profile of a slot only
    learns during that slot, so ``daily_half_life_days`` counts days, not minutes.
    """

    daily_half_life_days: float = 3.0
    """Memory of the hour-of-day profile (each hour slot learns 60 minutes a day)."""
    weekly_half_life_weeks: float = 3.0
    """Memory of the day-of-week factors."""
    level_half_life_minutes: float = 120.0
    """Memory of the short-term level: how much busier or quieter than usual today is."""
    global_half_life_minutes: float = 1440.0
    """Memory of the overall rate, the prior for hour slots not yet learned."""
    profile_prior_minutes: float = 5.0
    """Weight (in minutes) of the overall rate in each hour slot's estimate."""
    weekly_prior_minutes: float = 720.0
    """Weight (in minutes at the overall rate) pulling each day-of-week factor towards 1."""
    level_prior_counts: float = 5.0
    """Pseudo-counts pulling the short-term level towards 1 on quiet series."""
    rate_floor: float = 0.02
    """Lowest expected count per minute, so one post on a silent series is not a spike."""
    utc_offset_minutes: int = 0
    """Where the series' day starts, for the hour and day slots (0 = UTC)."""

    window_half_lives: tuple[float, ...] = (0.0, 4.0, 16.0)
    """Evidence windows, exponentially weighted; 0 means the single closed minute."""
    alpha: float = 1e-4
    """Tail probability (after the Bonferroni factor over windows) below which a minute fires."""
    min_ratio: float = 1.5
    """A window must be at least this many times its expected count to fire."""
    min_excess: float = 3.0
    """…and exceed its expected count by at least this many posts."""
    warmup_minutes: int = 1440
    """Minutes learned before the first detection."""

    learn_alpha: float = 1e-3
    """Minutes with a tail probability below this learn with ``anomaly_weight`` only."""
    anomaly_weight: float = 0.1
    """Learning weight of a suspicious minute, so a long spike is not the new normal at once."""
    anomaly_clip_ratio: float = 2.0
    """A suspicious minute teaches at most this multiple of its expected count."""

    dispersion_half_life_minutes: float = 4320.0
    """Memory of the overdispersion estimate (squared Pearson residuals per window)."""
    dispersion_prior_minutes: float = 60.0
    """Weight of the Poisson assumption (dispersion 1) in that estimate."""
    max_dispersion: float = 25.0
    max_residual2: float = 16.0
    """Squared residuals are winsorised here so one burst cannot swamp the estimate."""

    min_wait_minutes: float = 2880.0
    """An alert opens only for evidence rarer, on this series, than once in this many
    minutes (the expected wait between upcrossings, see ``rarity``): two days. This
    holds for negative posts and net sentiment, the signs of trouble."""
    volume_min_wait_minutes: float = 5760.0
    """The same for all posts together: four days. A brand's overall volume is the most
    routinely bursty metric (news, launches, campaigns) and a rise alone may be good
    news, so it is asked to be rarer before a person is called; a rise carried by
    complaints still alerts through the negative-posts metric."""
    rarity_half_life_minutes: float = 40320.0
    """Memory of how often each evidence level is crossed: four weeks."""
    rarity_prior_minutes: float = 1440.0
    """Weight of the normal-tail prior on those rates, in minutes of history."""
    rarity_count_from: float = 0.5
    """Share of the warm-up after which upcrossings are counted. By half the warm-up the
    level and hour profile have formed, and the series' own bursts of its second half
    are better evidence of what is routine than the normal-tail prior alone, which
    otherwise reads a bursty series' first routine burst after warm-up as rare."""
    settle_deviate: float = 1.5
    """An episode stays open while its evidence is above this deviate …"""
    settle_minutes: float = 10.0
    """… and closes after this many minutes below it; only then can a new one open."""

    share_half_life_minutes: float = 1440.0
    """Memory of the negative and positive shares behind the net-sentiment baseline."""
    share_prior_posts: float = 20.0
    prior_negative_share: float = 0.3
    prior_positive_share: float = 0.3
    min_sentiment_posts: float = 10.0
    """Effective posts a window needs before its net sentiment can fire."""
    min_sentiment_drop: float = 0.15
    """Net sentiment must be at least this far below its baseline to fire."""

    def __post_init__(self) -> None:
        if not self.window_half_lives or any(h < 0 for h in self.window_half_lives):
            raise ValueError("window_half_lives must be non-empty and non-negative")
        if not 0 < self.alpha < 1 or not 0 < self.learn_alpha < 1:
            raise ValueError("alpha and learn_alpha must be in (0, 1)")
        if not 0 <= self.anomaly_weight <= 1:
            raise ValueError("anomaly_weight must be in [0, 1]")
        if self.rate_floor <= 0:
            raise ValueError("rate_floor must be positive")

    @property
    def z_alpha(self) -> float:
        """The normal deviate that ``alpha`` (shared over the windows) corresponds to."""
        return normal_isf(self.alpha / len(self.window_half_lives))

    @property
    def rarity(self) -> RarityParams:
        return RarityParams(
            min_wait_minutes=self.min_wait_minutes,
            half_life_steps=self.rarity_half_life_minutes,
            prior_steps=self.rarity_prior_minutes,
            settle_deviate=self.settle_deviate,
            settle_steps=self.settle_minutes,
            min_deviate=self.z_alpha,
        )

    @property
    def volume_rarity(self) -> RarityParams:
        return replace(self.rarity, min_wait_minutes=self.volume_min_wait_minutes)

    @property
    def z_learn(self) -> float:
        return normal_isf(self.learn_alpha / len(self.window_half_lives))


def normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@lru_cache(maxsize=256)
def normal_isf(p: float) -> float:
    """Inverse of ``normal_sf`` by bisection (200 halvings), remembered per ``p``: the
    kernel asks for its thresholds on every step, and a parameter set has only a few."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if normal_sf(mid) > p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
