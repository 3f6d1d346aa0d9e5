"""Tail probabilities for counts and shares, in normal-deviate form.

The detector decides in z space (vectorised, no special functions needed) and turns the
few firing minutes into p-values afterwards. The z is the signed root of the likelihood-
ratio deviance with a continuity correction, which tracks the exact Poisson and binomial
upper tails within a factor of about two where alerts are decided, including tiny counts,
unlike a z-score of the raw counts.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from groundswell.listening.detection.params import normal_sf

Array = npt.NDArray[np.float64]

_LOG10_E = math.log10(math.e)


def poisson_z(observed: Array, expected: Array) -> Array:
    """Upper-tail deviate of ``observed`` counts under Poisson means ``expected`` (> 0)."""
    o = observed - 0.5
    up = o > expected
    safe_o = np.where(up, o, expected)
    deviance = 2.0 * (safe_o * np.log(safe_o / expected) - (safe_o - expected))
    return np.where(up, np.sqrt(np.maximum(deviance, 0.0)), 0.0)


def binomial_z(k: Array, n: Array, q: Array) -> Array:
    """Upper-tail deviate of ``k`` successes in ``n`` trials under success share ``q``."""
    ks = k - 0.5
    mean = n * q
    up = (ks > mean) & (n > 0)
    safe_k = np.where(up, ks, 1.0)
    safe_mean = np.where(up, mean, 1.0)
    rest = np.where(up, n - safe_k, 0.0)
    has_rest = rest > 0
    rest_mean = np.where(up, n * (1.0 - q), 1.0)
    t1 = safe_k * np.log(safe_k / safe_mean)
    t2 = np.where(has_rest, rest * np.log(np.where(has_rest, rest, 1.0) / rest_mean), 0.0)
    deviance = 2.0 * (t1 + t2)
    return np.where(up, np.sqrt(np.maximum(deviance, 0.0)), 0.0)


def neg_log10_p(z: float, tests: int) -> float:
    """−log10 of the Bonferroni-adjusted upper tail of ``z``, finite even far in the tail."""
    tail = normal_sf(z)
    if tail > 0.0:
        return max(0.0, -math.log10(min(1.0, tests * tail)))
    log_tail = -z * z / 2.0 - math.log(z * math.sqrt(2.0 * math.pi))
    return -(log_tail * _LOG10_E + math.log10(tests))
