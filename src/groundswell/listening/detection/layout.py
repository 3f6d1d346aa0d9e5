"""Where each learned quantity lives in a series' flat state vector.

One float64 vector per series lets many series stack into one matrix (struct of arrays)
and be evaluated together, while each row stays a self-contained, persistable state.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from groundswell.listening.detection.rarity import RarityLayout, rarity_layout


@dataclass(frozen=True, slots=True)
class CountLayout:
    """Offsets of one count metric's state (volume or negative volume)."""

    hod_num: int  # 24 decayed sums of counts per hour-of-day slot
    hod_mass: int  # 24 decayed learning weights of those slots
    dow_num: int  # 7 decayed sums of counts per day of week
    dow_den: int  # 7 decayed sums of the hour profile's expectation on those days
    glob_num: int  # counts over the last day or so: the prior of unlearned hour slots
    glob_mass: int
    level_x: int  # short-term decayed sum of counts
    level_s: int  # …and of the seasonal expectation over the same minutes
    obs: int  # K window sums of counts
    exp: int  # K window sums of expected counts
    var: int  # K window sums of expected counts with squared weights
    disp_num: int  # K decayed sums of squared Pearson residuals
    disp_mass: int  # K decayed weights
    size: int


@dataclass(frozen=True, slots=True)
class SentimentLayout:
    """Offsets of the net-sentiment state: baseline shares and window sums."""

    share_neg: int
    share_pos: int
    share_tot: int
    n: int  # K window sums of posts
    n2: int  # K window sums of posts with squared weights
    neg: int  # K window sums of negatives
    pos: int  # K window sums of positives
    disp_num: int
    disp_mass: int
    size: int


@dataclass(frozen=True, slots=True)
class Layout:
    windows: int
    last_minute: int
    seen: int
    counts: tuple[CountLayout, CountLayout]
    sentiment: SentimentLayout
    rarity: tuple[RarityLayout, RarityLayout, RarityLayout]
    """Upcrossing counts and episode state of volume, negative volume, net sentiment."""
    size: int


def _offsets(start: int, fields: list[tuple[str, int]]) -> dict[str, int]:
    offsets: dict[str, int] = {}
    at = start
    for name, width in fields:
        offsets[name] = at
        at += width
    offsets["size"] = at - start
    return offsets


def _count(start: int, k: int) -> CountLayout:
    widths = [24, 24, 7, 7, 1, 1, 1, 1, k, k, k, k, k]
    names = [f.name for f in fields(CountLayout) if f.name != "size"]
    return CountLayout(**_offsets(start, list(zip(names, widths, strict=True))))


def _sentiment(start: int, k: int) -> SentimentLayout:
    widths = [1, 1, 1, k, k, k, k, k, k]
    names = [f.name for f in fields(SentimentLayout) if f.name != "size"]
    return SentimentLayout(**_offsets(start, list(zip(names, widths, strict=True))))


def build_layout(windows: int) -> Layout:
    """The layout for ``windows`` evidence windows; the state records it via its length."""
    volume = _count(2, windows)
    negative = _count(2 + volume.size, windows)
    sentiment = _sentiment(2 + 2 * volume.size, windows)
    at = 2 + 2 * volume.size + sentiment.size
    first = rarity_layout(at)
    second = rarity_layout(at + first.size)
    third = rarity_layout(at + 2 * first.size)
    return Layout(
        windows=windows,
        last_minute=0,
        seen=1,
        counts=(volume, negative),
        sentiment=sentiment,
        rarity=(first, second, third),
        size=at + 3 * first.size,
    )
