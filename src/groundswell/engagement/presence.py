"""Who is viewing or typing on a case, for collision detection.

Kept in memory with a short time-to-live: presence is a live hint, not a record, and a
browser that closes simply stops renewing it. One process holds it (the embedded set-up
and a single web process); several web processes would share it through Redis instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock
from typing import Literal

State = Literal["viewing", "typing"]
TTL_S = 15.0
TYPING_S = 8.0


@dataclass(frozen=True, slots=True)
class Presence:
    user_id: int
    name: str
    state: State
    seen: float
    typed: float = -1e9


class PresenceBoard:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._cases: dict[int, dict[int, Presence]] = {}
        self._lock = Lock()

    def touch(
        self, case_id: int, user_id: int, name: str, state: State, now: float | None = None
    ) -> None:
        """Record a heartbeat; a "viewing" beat keeps a fresh "typing" state (the page's
        regular beat must not hide that the person is still composing)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            people = self._cases.setdefault(case_id, {})
            before = people.get(user_id)
            typed = now if state == "typing" else (before.typed if before else -1e9)
            shown: State = "typing" if now - typed < TYPING_S else "viewing"
            people[user_id] = Presence(user_id, name, shown, now, typed)

    def others(self, case_id: int, user_id: int, now: float | None = None) -> list[Presence]:
        now = time.monotonic() if now is None else now
        with self._lock:
            people = self._cases.get(case_id, {})
            for uid in [u for u, p in people.items() if now - p.seen > self.ttl_s]:
                del people[uid]
            return sorted((p for u, p in people.items() if u != user_id), key=lambda p: p.name)


board = PresenceBoard()
