"""Who is viewing or typing on a case, for collision detection.

Presence is a live hint, not a record, with a short time-to-live: a browser that closes
simply stops renewing it. The embedded set-up (one process) keeps it in memory; with
Redis as the broker several web processes share it through one Redis hash per case, so
an agent on one process sees a colleague typing on another. ``board`` is the one both
the web pages and the API use; ``use_redis`` switches its store at start-up.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from threading import Lock
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import redis

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


def _beat(before: Presence | None, user_id: int, name: str, state: State, now: float) -> Presence:
    """A "viewing" beat keeps a fresh "typing" state (the page's regular beat must not
    hide that the person is still composing)."""
    typed = now if state == "typing" else (before.typed if before else -1e9)
    shown: State = "typing" if now - typed < TYPING_S else "viewing"
    return Presence(user_id, name, shown, now, typed)


class _Store(Protocol):
    def touch(self, case_id: int, user_id: int, name: str, state: State, now: float) -> None: ...

    def others(self, case_id: int, user_id: int, now: float) -> list[Presence]: ...


class _MemoryStore:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._cases: dict[int, dict[int, Presence]] = {}
        self._lock = Lock()

    def touch(self, case_id: int, user_id: int, name: str, state: State, now: float) -> None:
        with self._lock:
            people = self._cases.setdefault(case_id, {})
            people[user_id] = _beat(people.get(user_id), user_id, name, state, now)

    def others(self, case_id: int, user_id: int, now: float) -> list[Presence]:
        with self._lock:
            people = self._cases.get(case_id, {})
            for uid in [u for u, p in people.items() if now - p.seen > self.ttl_s]:
                del people[uid]
            return [p for u, p in people.items() if u != user_id]


class _RedisStore:
    """One hash per case (field: user id, value: the presence as JSON), expiring with the
    last beat; wall-clock seconds, since the beats come from several processes."""

    def __init__(self, client: redis.Redis, ttl_s: float, prefix: str = "gs:presence:") -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.prefix = prefix

    def _key(self, case_id: int) -> str:
        return f"{self.prefix}{case_id}"

    @staticmethod
    def _load(raw: bytes | str) -> Presence | None:
        try:
            d = json.loads(raw)
            state: State = "typing" if d["state"] == "typing" else "viewing"
            return Presence(int(d["u"]), str(d["n"])[:200], state, float(d["s"]), float(d["t"]))
        except (ValueError, KeyError, TypeError):
            return None

    def touch(self, case_id: int, user_id: int, name: str, state: State, now: float) -> None:
        key = self._key(case_id)
        raw = self.client.hget(key, str(user_id))
        before = self._load(raw) if raw is not None else None
        p = _beat(before, user_id, name, state, now)
        value = json.dumps(
            {"u": p.user_id, "n": p.name, "state": p.state, "s": p.seen, "t": p.typed}
        )
        pipe = self.client.pipeline()
        pipe.hset(key, str(user_id), value)
        pipe.expire(key, int(self.ttl_s) + 1)
        pipe.execute()

    def others(self, case_id: int, user_id: int, now: float) -> list[Presence]:
        key = self._key(case_id)
        found: list[Presence] = []
        stale: list[str] = []
        for field, raw in self.client.hgetall(key).items():
            p = self._load(raw)
            if p is None or now - p.seen > self.ttl_s:
                stale.append(field.decode() if isinstance(field, bytes) else str(field))
            elif p.user_id != user_id:
                found.append(p)
        if stale:
            self.client.hdel(key, *stale)
        return found


class PresenceBoard:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._store: _Store = _MemoryStore(ttl_s)
        self._clock = time.monotonic

    def use_memory(self) -> None:
        """Keep heartbeats in this process, starting empty (the embedded set-up). An app
        built again in the same process (the test suite builds one per test) starts with
        no one on any case, as a restarted server would."""
        self._store = _MemoryStore(self.ttl_s)
        self._clock = time.monotonic

    def use_redis(self, url: str, *, prefix: str = "gs:presence:") -> None:
        """Share presence between processes through Redis (the production broker)."""
        import redis as redis_lib

        self._store = _RedisStore(redis_lib.Redis.from_url(url), self.ttl_s, prefix)
        self._clock = time.time

    def touch(
        self, case_id: int, user_id: int, name: str, state: State, now: float | None = None
    ) -> None:
        """Record a heartbeat."""
        self._store.touch(case_id, user_id, name, state, self._clock() if now is None else now)

    def others(self, case_id: int, user_id: int, now: float | None = None) -> list[Presence]:
        now = self._clock() if now is None else now
        return sorted(self._store.others(case_id, user_id, now), key=lambda p: p.name)


board = PresenceBoard()
