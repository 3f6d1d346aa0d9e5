"""Rate limits as networks announce them, and back-off with jitter.

Pure functions and small value objects, so connectors and the runner agree on one
reading of ``x-rate-limit-*`` style headers and one back-off curve.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from threading import Lock


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One endpoint's window: ``remaining`` of ``limit`` calls until ``reset`` (epoch s)."""

    limit: int
    remaining: int
    reset: float

    def wait(self, now: float) -> float:
        """Seconds to wait before the next call: 0 while calls remain."""
        if self.remaining > 0:
            return 0.0
        return max(0.0, self.reset - now)

    @property
    def used_fraction(self) -> float:
        return 1.0 - self.remaining / self.limit if self.limit else 0.0


def parse_rate_limit(headers: Mapping[str, str], prefix: str = "x-rate-limit-") -> RateLimit | None:
    """``<prefix>limit|remaining|reset`` headers (reset in epoch seconds), if all present."""
    try:
        return RateLimit(
            limit=int(headers[f"{prefix}limit"]),
            remaining=int(headers[f"{prefix}remaining"]),
            reset=float(headers[f"{prefix}reset"]),
        )
    except (KeyError, ValueError):
        return None


def backoff(
    attempt: int, *, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Full-jitter exponential back-off: uniform in [0, min(cap, base * 2**attempt)].

    Jitter spreads the retries of many workers hit by the same outage (AWS's "full
    jitter"); ``attempt`` counts from 0.
    """
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return (rng or random).uniform(0, ceiling)


class RateLimits:
    """The latest window per endpoint, shared by a connector's threads."""

    def __init__(self) -> None:
        self._by_endpoint: dict[str, RateLimit] = {}
        self._lock = Lock()

    def update(self, endpoint: str, limit: RateLimit | None) -> None:
        if limit is None:
            return
        with self._lock:
            self._by_endpoint[endpoint] = limit

    def wait(self, endpoint: str, now: float | None = None) -> float:
        with self._lock:
            limit = self._by_endpoint.get(endpoint)
        return limit.wait(time.time() if now is None else now) if limit else 0.0

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {
                k: {"limit": v.limit, "remaining": v.remaining, "reset": v.reset}
                for k, v in sorted(self._by_endpoint.items())
            }
