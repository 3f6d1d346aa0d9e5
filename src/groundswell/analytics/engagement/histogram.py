"""Fixed log-spaced histograms: quantiles of durations from counts, mergeable by addition.

A duration ``s`` seconds falls in bucket ``0`` when ``s < 1`` and otherwise in
``1 + floor(log2(s) * STEPS)``: each bucket spans a factor of ``2 ** (1 / STEPS)``. A
quantile is answered with the geometric middle of the bucket that holds it, so its relative
error is at most ``2 ** (1 / (2 * STEPS)) - 1`` (about 4.4 % with ``STEPS = 8``), whatever
the number of samples. Histograms are stored sparse (``{bucket: count}``) so rows that
merge them stay small, and adding two histograms is adding their counts, which is what
lets a day's rollup be summed into any period without touching the cases again.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

STEPS = 8
"""Buckets per doubling."""
MAX_BUCKET = 1 + 30 * STEPS
"""2**30 s is 34 years: anything longer is clamped into the last bucket."""
RELATIVE_ERROR = 2 ** (1 / (2 * STEPS)) - 1
"""The largest relative error of a quantile read from a histogram (bucket half-width)."""

Hist = dict[int, int]


def bucket_of(seconds: float) -> int:
    if seconds < 1.0 or math.isnan(seconds):
        return 0
    return min(MAX_BUCKET, 1 + math.floor(math.log2(seconds) * STEPS))


def bounds(bucket: int) -> tuple[float, float]:
    """The interval ``[low, high)`` of durations a bucket holds."""
    if bucket <= 0:
        return 0.0, 1.0
    return 2 ** ((bucket - 1) / STEPS), 2 ** (bucket / STEPS)


def representative(bucket: int) -> float:
    """The value reported for a bucket: its geometric middle (0.5 s for the first)."""
    if bucket <= 0:
        return 0.5
    low, high = bounds(bucket)
    return math.sqrt(low * high)


def add(hist: Hist, seconds: float, count: int = 1) -> None:
    b = bucket_of(seconds)
    hist[b] = hist.get(b, 0) + count


def merge(into: Hist, other: Mapping[int, int] | Mapping[str, int]) -> None:
    """Add ``other``'s counts (keys may be strings, as JSON stores them) into ``into``."""
    for key, count in other.items():
        b = int(key)
        total = into.get(b, 0) + int(count)
        if total:
            into[b] = total
        else:
            into.pop(b, None)


def negate(hist: Mapping[int, int]) -> Hist:
    return {b: -c for b, c in hist.items()}


def total(hist: Mapping[int, int]) -> int:
    return sum(hist.values())


def quantile(hist: Mapping[int, int], q: float) -> float | None:
    """The ``q``-quantile (0 < q ≤ 1) in seconds, or None for an empty histogram.

    The nearest-rank definition: the smallest bucket whose cumulative count reaches
    ``ceil(q * n)``.
    """
    if not 0.0 < q <= 1.0:
        raise ValueError("q must be in (0, 1]")
    n = total(hist)
    if n <= 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return representative(b)
    return representative(max(hist))


def of(values: Iterable[float]) -> Hist:
    hist: Hist = {}
    for v in values:
        add(hist, v)
    return hist


def to_json(hist: Mapping[int, int]) -> dict[str, int]:
    return {str(b): c for b, c in sorted(hist.items()) if c}


# Packed form, as the rollup stores it: for each distribution, a header (index in ``names``,
# first bucket, number of buckets) and the dense counts from the first non-empty bucket to the
# last. A dashboard sums thousands of rows; reading them with ``numpy.frombuffer`` and adding
# slices is several times faster than decoding JSON and adding dicts.
_HEADER = struct.Struct("<BHH")
WIDTH = MAX_BUCKET + 1


def pack(hists: Mapping[str, Mapping[int, int]], names: Sequence[str]) -> bytes:
    out = bytearray()
    for index, name in enumerate(names):
        hist = {b: c for b, c in hists.get(name, {}).items() if c}
        if not hist:
            continue
        low, high = min(hist), max(hist)
        dense = np.zeros(high - low + 1, dtype="<u4")
        for b, c in hist.items():
            dense[b - low] = c
        out += _HEADER.pack(index, low, len(dense))
        out += dense.tobytes()
    return bytes(out)


def unpack_into(data: bytes | None, into: np.ndarray) -> None:
    """Add a packed row to ``into`` (shape ``(len(names), WIDTH)``, int64)."""
    if not data:
        return
    view = memoryview(data)
    at = 0
    size = _HEADER.size
    while at < len(view):
        index, low, n = _HEADER.unpack_from(view, at)
        at += size
        into[index, low : low + n] += np.frombuffer(view, dtype="<u4", count=n, offset=at)
        at += 4 * n


def unpack(data: bytes | None, names: Sequence[str]) -> dict[str, Hist]:
    dense = np.zeros((len(names), WIDTH), dtype=np.int64)
    unpack_into(data, dense)
    return from_dense(dense, names)


def from_dense(dense: np.ndarray, names: Sequence[str]) -> dict[str, Hist]:
    out: dict[str, Hist] = {}
    for index, name in enumerate(names):
        nz = np.flatnonzero(dense[index])
        if len(nz):
            out[name] = {int(b): int(dense[index, b]) for b in nz}
    return out
