"""Many series at one minute boundary: stack their rows, step once, hand the rows back.

``DetectorBank`` keeps the matrix between minutes for a worker that owns many series;
``evaluate_many`` does the same for detectors held one per subject (as persisted), at the
cost of copying each row in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from groundswell.listening.detection.detector import SpikeDetector
from groundswell.listening.detection.kernel import step
from groundswell.listening.detection.layout import build_layout
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.detection.tails import Array
from groundswell.listening.detection.types import Detection, MinutePoint, minute_index
from groundswell.listening.detection.verdicts import collect


class DetectorBank:
    """N series that close the same minutes together, as one (N, L) state matrix."""

    def __init__(self, size: int, params: DetectorParams | None = None) -> None:
        self.params = params or DetectorParams()
        self.layout = build_layout(len(self.params.window_half_lives))
        self.states: Array = np.zeros((size, self.layout.size), dtype=np.float64)
        self.last_minute: int | None = None

    def __len__(self) -> int:
        return int(self.states.shape[0])

    def step(
        self, minute: datetime, totals: Array, negatives: Array, positives: Array
    ) -> list[list[Detection]]:
        """Judge and learn ``minute`` for every series; skipped minutes are learned as empty.

        Returns one list per series with its detections of ``minute`` only; detections in a
        skipped gap are dropped (a bank is meant to be stepped every minute).
        """
        index = minute_index(minute)
        if self.last_minute is not None:
            if index <= self.last_minute:
                raise ValueError("minutes must come in order")
            zeros = np.zeros(len(self), dtype=np.float64)
            for skipped in range(self.last_minute + 1, index):
                step(self.states, self.layout, self.params, skipped, zeros, zeros, zeros)
        results = step(
            self.states,
            self.layout,
            self.params,
            index,
            np.asarray(totals, dtype=np.float64),
            np.asarray(negatives, dtype=np.float64),
            np.asarray(positives, dtype=np.float64),
        )
        self.last_minute = index
        return collect(results, minute, self.layout.windows)


def evaluate_many(
    detectors: Sequence[SpikeDetector], points: Sequence[MinutePoint]
) -> list[list[Detection]]:
    """``detectors[i].update(points[i])`` for every i, vectorised; the same detections.

    Detectors whose last minute is not the one before their point first catch up alone;
    the rest are grouped by minute and parameters and stepped together.
    """
    if len(detectors) != len(points):
        raise ValueError("one point per detector")
    out: list[list[Detection]] = [[] for _ in detectors]
    groups: dict[tuple[int, DetectorParams], list[int]] = {}
    for i, (detector, point) in enumerate(zip(detectors, points, strict=True)):
        last = detector.last_minute
        if last is not None and point.minute - last > timedelta(minutes=1):
            out[i].extend(detector.advance_to(point.minute - timedelta(minutes=1)))
        elif last is not None and point.minute <= last:
            raise ValueError(f"detector {i}: minutes must come in order")
        groups.setdefault((minute_index(point.minute), detector.params), []).append(i)
    for (_, params), members in groups.items():
        layout = build_layout(len(params.window_half_lives))
        stacked = np.vstack([detectors[i]._state for i in members])
        chosen = [points[i] for i in members]
        results = step(
            stacked,
            layout,
            params,
            minute_index(chosen[0].minute),
            np.fromiter((p.total for p in chosen), np.float64, len(chosen)),
            np.fromiter((p.negative for p in chosen), np.float64, len(chosen)),
            np.fromiter((p.positive for p in chosen), np.float64, len(chosen)),
        )
        verdicts = collect(results, chosen[0].minute, layout.windows)
        for row, i in enumerate(members):
            detectors[i]._state[0] = stacked[row]
            out[i].extend(verdicts[row])
    return out
