"""Cheap per-stage timers: wrap a few functions, sum their wall time, restore them after.

The wrapped functions are called once per batch (or per chunk), not per post, so the
wrappers cost microseconds per few hundred posts and the run they observe keeps its
speed, unlike a profiler, which slows the Python-heavy stages far more than the
database and so distorts the very shares it reports. Nested timers are fine: each one
records inclusive time, and the report subtracts children from parents.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class StageTimers:
    """Inclusive seconds and call counts per label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed

    @contextmanager
    def patched(self, targets: list[tuple[object, str, str]]) -> Iterator[StageTimers]:
        """Replace each ``owner.attribute`` by a timed wrapper labelled ``label``."""
        originals = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in targets]
        try:
            for (owner, attr, label), (_, _, original) in zip(targets, originals, strict=True):
                setattr(owner, attr, self.wrap(label, original))
            yield self
        finally:
            for owner, attr, original in reversed(originals):
                setattr(owner, attr, original)

    def get(self, label: str) -> float:
        return self.seconds.get(label, 0.0)
