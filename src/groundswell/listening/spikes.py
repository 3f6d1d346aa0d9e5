"""Spike detection for listening: the public interface the alert layer codes against.

The method (seasonal Poisson/binomial baselines, evidence windows, severity) is described
in ``docs/spike-detection.md``; the parts live in ``groundswell.listening.detection``.
One detector covers all three metrics of a series, so its state is stored once per
subject × channel under the metric name ``"all"`` (``STATE_METRIC``).
"""

from __future__ import annotations

from groundswell.listening.detection.bank import DetectorBank, evaluate_many
from groundswell.listening.detection.detector import SpikeDetector, detect_history
from groundswell.listening.detection.params import DetectorParams
from groundswell.listening.detection.types import METRICS, Detection, MinutePoint

STATE_METRIC = "all"
"""The ``detector_states.metric`` value under which a subject's one state is stored."""

__all__ = [
    "METRICS",
    "STATE_METRIC",
    "Detection",
    "DetectorBank",
    "DetectorParams",
    "MinutePoint",
    "SpikeDetector",
    "detect_history",
    "evaluate_many",
]
