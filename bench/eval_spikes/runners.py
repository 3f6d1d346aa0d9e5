"""Run a detector over a suite of equally long series: the spike detector and a z-score."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from bench.eval_spikes.synthetic import Floats, Series
from groundswell.listening.spikes import METRICS, DetectorBank, DetectorParams

Hits = list[tuple[str, int]]
"""(metric, minute offset) of every anomalous minute of one series."""


def run_spike_detector(
    series: list[Series], start: datetime, params: DetectorParams | None = None
) -> list[Hits]:
    """Stream every series minute by minute through one bank, as a worker would."""
    bank = DetectorBank(len(series), params)
    total = np.stack([s.total for s in series]).astype(np.float64)
    negative = np.stack([s.negative for s in series]).astype(np.float64)
    positive = np.stack([s.positive for s in series]).astype(np.float64)
    hits: list[Hits] = [[] for _ in series]
    for t in range(total.shape[1]):
        found = bank.step(start + timedelta(minutes=t), total[:, t], negative[:, t], positive[:, t])
        for i, detections in enumerate(found):
            hits[i].extend((d.metric, t) for d in detections)
    return hits


def _rolling_z(values: Floats, window: int, floor: float) -> Floats:
    """z of each minute against the mean and std of the previous ``window`` defined minutes."""
    out = np.zeros_like(values)
    defined = ~np.isnan(values)
    filled = np.where(defined, values, 0.0)
    c1 = np.concatenate([[0.0], np.cumsum(filled)])
    c2 = np.concatenate([[0.0], np.cumsum(filled**2)])
    cn = np.concatenate([[0.0], np.cumsum(defined.astype(np.float64))])
    idx = np.arange(len(values))
    lo = np.maximum(idx - window, 0)
    n = cn[idx] - cn[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c1[idx] - c1[lo]) / n
        var = (c2[idx] - c2[lo]) / n - mean**2
        std = np.maximum(np.sqrt(np.maximum(var, 0.0)), floor)
        out = np.where((n >= 2) & defined, (values - mean) / std, 0.0)
    return np.asarray(out, dtype=np.float64)


def run_zscore(
    series: list[Series], warmup: int, window: int = 60, threshold: float = 4.0
) -> list[Hits]:
    """The plain baseline: rolling z of the minute's value over the previous hour.

    Counts fire at z ≥ ``threshold`` (std floored at 0.5 posts), net sentiment at
    z ≤ −``threshold`` (std floored at 0.05); minutes without posts have no net sentiment.
    """
    hits: list[Hits] = []
    for s in series:
        total = s.total.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            net = np.where(total > 0, (s.positive - s.negative) / total, np.nan)
        scores = {
            "volume": _rolling_z(total, window, 0.5),
            "negative": _rolling_z(s.negative.astype(np.float64), window, 0.5),
            "net_sentiment": -_rolling_z(net, window, 0.05),
        }
        found: Hits = []
        for metric in METRICS:
            minutes = np.flatnonzero(scores[metric] >= threshold)
            found.extend((metric, int(t)) for t in minutes if t >= warmup)
        hits.append(sorted(found, key=lambda h: h[1]))
    return hits
