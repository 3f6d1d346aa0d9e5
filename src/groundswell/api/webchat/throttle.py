"""Request budgets for the public chat endpoints, kept by ``limits``.

Anyone on the internet can call these, so each action has a budget per client address
(a script hammering from one place) and, once a conversation exists, per token (one
visitor's widget gone wrong, from behind a shared address). Counters live where the
login counters live: the broker's Redis when there is one, memory otherwise.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from groundswell.channels.webchat.tokens import token_hash
from groundswell.settings import Settings
from groundswell.web.login_limits import storage_url

BUDGETS: dict[str, tuple[str, str | None]] = {
    # action: (per address, per token)
    "start": ("20/10minutes", None),
    "post": ("120/minute", "30/minute"),
    "fetch": ("600/minute", "60/minute"),
    "config": ("300/minute", None),
}
"""A widget polls at most every 2 s (30 a minute); a person types far below 30 a minute."""


class ChatThrottle:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.prefix = settings.stream_prefix
        self.storage = storage or storage_from_string(storage_url(settings))
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items: dict[str, tuple[RateLimitItem, RateLimitItem | None]] = {
            action: (parse(per_address), parse(per_token) if per_token else None)
            for action, (per_address, per_token) in BUDGETS.items()
        }

    def hit(self, action: str, *, address: str, token: str | None = None) -> int:
        """0 when allowed (and counted), else the seconds to wait."""
        per_address, per_token = self.items[action]
        checks = [(per_address, ("gs-chat", self.prefix, action, "address", address[:64]))]
        if token and per_token is not None:
            checks.append(
                (per_token, ("gs-chat", self.prefix, action, "token", token_hash(token)[:24]))
            )
        for item, ids in checks:
            if not self.limiter.hit(item, *ids):
                stats = self.limiter.get_window_stats(item, *ids)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return 0

    def reset(self) -> None:
        self.storage.reset()
