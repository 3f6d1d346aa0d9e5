"""Failed-login counters per account and per client address, kept by ``limits``.

Two counters, because each alone has a hole: per address only, one attacker guesses
many accounts' passwords from a botnet slowly per address; per account only, one
address sprays a few guesses at every account. A successful login clears the counter of
the account that logged in (its owner knows the password) and nothing else: the
address counter runs out its window, so interleaving one valid login no longer resets
an attacker's count. Counters live in the broker's Redis when there is one, so every
server process shares them; in memory otherwise (one process, embedded set-up).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from groundswell.settings import Settings


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


class LoginLimiter:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.window = settings.login_failure_window_seconds
        self.per_account = RateLimitItemPerSecond(
            settings.login_max_failures_per_account, self.window, namespace="gs-login"
        )
        self.per_address = RateLimitItemPerSecond(
            settings.login_max_failures_per_address, self.window, namespace="gs-login"
        )
        self.prefix = settings.stream_prefix
        self.storage = storage or storage_from_string(storage_url(settings))
        self.limiter = MovingWindowRateLimiter(self.storage)

    def _keys(self, account: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [
            (self.per_account, (self.prefix, "account", account.strip().lower()[:320])),
            (self.per_address, (self.prefix, "address", address[:64])),
        ]

    def check(self, *, account: str, address: str) -> Verdict:
        """Whether a login attempt may be tried now (no counter is full)."""
        for item, ids in self._keys(account, address):
            if not self.limiter.test(item, *ids):
                stats = self.limiter.get_window_stats(item, *ids)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                return Verdict(allowed=False, retry_after_seconds=wait)
        return Verdict(allowed=True)

    def failed(self, *, account: str, address: str) -> None:
        for item, ids in self._keys(account, address):
            self.limiter.hit(item, *ids)

    def succeeded(self, *, account: str) -> None:
        item, ids = self._keys(account, "")[0]
        self.limiter.clear(item, *ids)

    def reset(self) -> None:
        """Forget every counter (tests, or an operator after an incident)."""
        self.storage.reset()


def storage_url(settings: Settings) -> str:
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return "memory://"
