"""``python -m bench.nab.cost``: one step of the NAB candidate for 10,000 count series.

The product's budget is 10,000 series at a minute boundary in under a second; this times
``robust_step`` alone (no I/O, no bank bookkeeping) on Poisson counts after a short
warm-up, median of 50 steps.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from bench.nab.candidate import RobustParams, robust_layout, robust_step


def main(series: int = 10_000, steps: int = 50) -> None:
    params = RobustParams()
    lay = robust_layout(len(params.window_half_lives), slots=params.slots_per_day)
    state = np.zeros((series, lay.size))
    rng = np.random.default_rng(0)
    warm = np.ones(series, dtype=bool)
    slot = np.zeros(series, dtype=np.intp)
    times: list[float] = []
    for t in range(2 * steps):
        y = 2.0 * np.sqrt(rng.poisson(20.0, series) + 0.375)
        began = time.perf_counter()
        robust_step(state, lay, params, y, slot, warm, params.count_scale_floor)
        if t >= steps:
            times.append(time.perf_counter() - began)
    print(
        f"{series} series, one step: median {1000 * statistics.median(times):.1f} ms "
        f"(min {1000 * min(times):.1f} ms); state {lay.size} floats per series"
    )


if __name__ == "__main__":
    main()
