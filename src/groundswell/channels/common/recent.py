"""The external ids a channel published lately, shared by all of its sources.

A network read two ways sees one post twice: Bluesky's notifications and its Jetstream
firehose both deliver a mention (same ``at://`` URI), X's mentions timeline and filtered
stream both deliver a tweet, a reconnecting stream replays a few seconds. The pipeline
stores such a post once (idempotence by channel and external id), but publishing it twice
doubles the work of every stage and of whatever counts posts on the stream. The runner
keeps one of these per channel: a source publishes only the ids no source of the channel
claimed recently.

An id is *claimed* before publishing and *released* if publishing fails, so two sources
racing on one post publish it once, and a failed publish (whose cursor is not saved, so
the source reads the post again) never makes the post look published. It is bounded
(oldest forgotten first) and lives in memory: after a restart, or for a repeat older than
the window, the pipeline's idempotence still keeps one copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

DEFAULT_LIMIT = 10_000


class RecentKeys:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def claim(self, keys: Iterable[str]) -> set[str]:
        """The keys not claimed before (each once), now claimed."""
        new: set[str] = set()
        with self._lock:
            for key in keys:
                if key in self._keys:
                    continue
                self._keys[key] = None
                new.add(key)
            while len(self._keys) > self.limit:
                self._keys.popitem(last=False)
        return new

    def release(self, keys: Iterable[str]) -> None:
        """Forget keys claimed for a publish that failed."""
        with self._lock:
            for key in keys:
                self._keys.pop(key, None)
