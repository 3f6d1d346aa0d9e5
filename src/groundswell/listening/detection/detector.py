"""One series' streaming detector: its state is one row of the kernel's matrix."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

import numpy as np

from groundswell.listening.detection.kernel import step
from groundswell.listening.detection.layout import Layout, build_layout
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.detection.tails import Array
from groundswell.listening.detection.types import (
    Detection,
    MinutePoint,
    minute_at,
    minute_index,
)
from groundswell.listening.detection.verdicts import collect


class SpikeDetector:
    """Spike detection on volume, negative volume and net sentiment of one series.

    Each closed minute is judged against the baseline learned from earlier minutes only,
    then learned from. Minutes must come in order. A gap is a run of empty minutes: both
    ``update`` (for the minutes it skips) and ``advance_to`` learn them as zero counts, and
    return any detection they cause (a window still high from before the gap).
    """

    VERSION: ClassVar[str] = "gs-spike-5"

    def __init__(self, params: DetectorParams | None = None) -> None:
        self.params = params or DetectorParams()
        self.layout: Layout = build_layout(len(self.params.window_half_lives))
        self._state: Array = np.zeros((1, self.layout.size), dtype=np.float64)

    @property
    def last_minute(self) -> datetime | None:
        """The last minute learned, or None before the first."""
        if self._state[0, self.layout.seen] == 0:
            return None
        return minute_at(int(self._state[0, self.layout.last_minute]))

    @property
    def minutes_seen(self) -> int:
        return int(self._state[0, self.layout.seen])

    def update(self, point: MinutePoint) -> list[Detection]:
        """Judge ``point`` (after learning any skipped minutes as empty), then learn it."""
        index = minute_index(point.minute)
        found = self._fill_gap(index)
        found.extend(self._step(index, point.total, point.negative, point.positive))
        return found

    def advance_to(self, minute: datetime) -> list[Detection]:
        """Learn every minute after ``last_minute`` up to and including ``minute`` as empty."""
        index = minute_index(minute)
        last = self._last_index()
        if last is not None and index <= last:
            return []
        found = self._fill_gap(index)
        found.extend(self._step(index, 0, 0, 0))
        return found

    def skip_to(self, minute: datetime) -> None:
        """Step over a gap up to and including ``minute`` without learning from it.

        For minutes with no data at all (the system down, loading, every connector
        failing): learning them as zeros would teach the baseline a silence that never
        happened and make the return of normal traffic look like a surge.
        """
        index = minute_index(minute)
        last = self._last_index()
        if last is not None and index > last:
            self._state[0, self.layout.last_minute] = float(index)

    def to_state(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot; floats round-trip exactly through JSON."""
        last = self.last_minute
        return {
            "version": self.VERSION,
            "windows": self.layout.windows,
            "last_minute": last.isoformat() if last else None,
            "seen": self.minutes_seen,
            "values": [float(v) for v in self._state[0]],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], params: DetectorParams | None = None
    ) -> SpikeDetector:
        """Rebuild a detector; refuses a state of another version or window count."""
        detector = cls(params)
        if state.get("version") != cls.VERSION:
            raise ValueError(f"state version {state.get('version')!r} is not {cls.VERSION!r}")
        values = state.get("values")
        if not isinstance(values, list) or len(values) != detector.layout.size:
            raise ValueError("state does not match these parameters' window count")
        detector._state[0] = np.asarray(values, dtype=np.float64)
        return detector

    def _last_index(self) -> int | None:
        if self._state[0, self.layout.seen] == 0:
            return None
        return int(self._state[0, self.layout.last_minute])

    def _fill_gap(self, index: int) -> list[Detection]:
        last = self._last_index()
        if last is None:
            return []
        if index <= last:
            raise ValueError(
                f"minute {minute_at(index).isoformat()} is not after "
                f"{minute_at(last).isoformat()}: minutes must come in order"
            )
        found: list[Detection] = []
        for skipped in range(last + 1, index):
            found.extend(self._step(skipped, 0, 0, 0))
        return found

    def _step(self, index: int, total: int, negative: int, positive: int) -> list[Detection]:
        results = step(
            self._state,
            self.layout,
            self.params,
            index,
            np.array([total], dtype=np.float64),
            np.array([negative], dtype=np.float64),
            np.array([positive], dtype=np.float64),
        )
        return collect(results, minute_at(index), self.layout.windows)[0]


def detect_history(
    points: Iterable[MinutePoint], params: DetectorParams | None = None
) -> list[Detection]:
    """Backfill: the detections a fresh detector streams over ``points``, in order."""
    detector = SpikeDetector(params)
    found: list[Detection] = []
    for point in points:
        found.extend(detector.update(point))
    return found
