"""Influence: how far a post is likely to travel, on a 0–100 scale.

Audience and engagement follow power laws (a handful of accounts have millions of followers),
so both are log-scaled: going from 100 to 1,000 followers counts as much as going from
100,000 to 1,000,000. The score ranks posts in the inbox; it is not a reach estimate.
"""

from __future__ import annotations

import math

INFLUENCE_VERSION = "log-v1"

FOLLOWER_WEIGHT = 60.0
ENGAGEMENT_WEIGHT = 30.0
VERIFIED_BONUS = 10.0
FOLLOWERS_AT_MAX = 10_000_000
"""Follower count at which the audience part saturates."""
ENGAGEMENT_AT_MAX = 100_000
"""Weighted engagement at which the engagement part saturates."""


def _log_share(value: float, at_max: float) -> float:
    return min(1.0, math.log10(1.0 + value) / math.log10(1.0 + at_max))


def influence_score(
    followers: int | None, likes: int, shares: int, replies: int, verified: bool
) -> float:
    """Influence in [0, 100], non-decreasing in every input.

    ``score = 60 · a + 30 · e + 10 · v`` where

    - ``a = min(1, log10(1 + followers) / log10(1 + 10⁷))`` — audience; unknown followers
      count as 0,
    - ``e = min(1, log10(1 + likes + 2·shares + replies) / log10(1 + 10⁵))`` — engagement;
      a share counts double because it shows the post to a new audience,
    - ``v = 1`` for verified accounts, else 0.

    Negative counts (bad upstream data) are treated as 0. Rounded to two decimals.
    """
    audience = max(0, followers or 0)
    engagement = max(0, likes) + 2 * max(0, shares) + max(0, replies)
    score = (
        FOLLOWER_WEIGHT * _log_share(audience, FOLLOWERS_AT_MAX)
        + ENGAGEMENT_WEIGHT * _log_share(engagement, ENGAGEMENT_AT_MAX)
        + (VERIFIED_BONUS if verified else 0.0)
    )
    return round(min(100.0, max(0.0, score)), 2)
