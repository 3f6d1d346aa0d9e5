"""Turn the kernel's per-metric arrays into ``Detection`` values for the rows that fired."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from groundswell.listening.detection.kernel import MetricStep
from groundswell.listening.detection.rarity import severity_of_wait
from groundswell.listening.detection.tails import neg_log10_p
from groundswell.listening.detection.types import METRICS, Detection


def collect(
    results: tuple[MetricStep, MetricStep, MetricStep], minute: datetime, windows: int
) -> list[list[Detection]]:
    """One list per row, in ``METRICS`` order; rows that did not fire get an empty list."""
    rows = results[0].fired.shape[0]
    out: list[list[Detection]] = [[] for _ in range(rows)]
    for metric, result in zip(METRICS, results, strict=True):
        for i in np.flatnonzero(result.fired):
            nlp = neg_log10_p(float(result.z[i]), windows)
            out[i].append(
                Detection(
                    metric=metric,
                    minute=minute,
                    expected=float(result.expected[i]),
                    observed=float(result.observed[i]),
                    severity=severity_of_wait(float(result.wait[i])),
                    p_value=max(10.0**-nlp, 1e-300),
                )
            )
    return out
