"""How long to wait after a 429 or an outage: the network's own word first, else jitter.

Full jitter (a uniform draw between zero and an exponentially growing cap) keeps a fleet of
connectors that failed together from retrying together (the AWS architecture blog's
"Exponential Backoff and Jitter"). ``retry_after_seconds`` reads the headers networks
use to say when to come back, in the forms they document.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_WAIT = 15 * 60.0


def jittered_delay(
    attempt: int, *, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based), full jitter."""
    ceiling = min(cap, base * (2 ** max(0, min(attempt, 30))))
    return (rng or random).uniform(0.0, ceiling)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _parse_instant(value: str, now: datetime) -> float | None:
    """Seconds from ``now`` to a reset given as epoch seconds, ISO 8601 or an HTTP date."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        # Small numbers are "seconds from now" (Reddit), large ones epoch seconds (X, Bluesky).
        return number if number < 10**9 else number - now.timestamp()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - now).total_seconds()


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """What the response asked us to wait, bounded to ``MAX_WAIT``; None when it did not say.

    Reads ``Retry-After`` (seconds or an HTTP date, RFC 9110), then the rate-limit reset
    headers: ``X-RateLimit-Reset`` (Mastodon: ISO 8601; X and Twitter-style: epoch),
    ``RateLimit-Reset`` (Bluesky: epoch) and ``X-Ratelimit-Reset`` (Reddit: seconds).
    """
    now = now or datetime.now(UTC)
    for name in ("Retry-After", "X-RateLimit-Reset", "RateLimit-Reset"):
        raw = _header(headers, name)
        if raw:
            seconds = _parse_instant(raw, now)
            if seconds is not None:
                return max(0.0, min(MAX_WAIT, seconds))
    return None


def rate_limit_remaining(headers: Mapping[str, str]) -> int | None:
    """Calls left in the current window, from whichever header the network sends."""
    for name in ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-Ratelimit-Remaining"):
        raw = _header(headers, name)
        if raw:
            try:
                return int(float(raw))
            except ValueError:
                return None
    return None
