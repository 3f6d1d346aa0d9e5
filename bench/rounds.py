"""The table of a side-by-side bench: alternating runs of each configuration."""

from __future__ import annotations

import statistics


def print_rounds(
    first_column: str,
    times: dict[str, list[float]],
    *,
    items: int | None = None,
    rate_label: str = "per second",
) -> dict[str, float]:
    """A Markdown table with each configuration's median and every run in seconds (and,
    given ``items``, the rate at the median). Returns the medians."""
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    rate = items is not None
    print(f"| {first_column} | seconds (median) |{f' {rate_label} |' if rate else ''} runs (s) |")
    print(f"|---|---:|{'---:|' if rate else ''}---|")
    for name, runs in times.items():
        shown = " · ".join(f"{r:.2f}" for r in runs)
        middle = f" {items / medians[name]:,.0f} |" if items is not None else ""
        print(f"| {name} | {medians[name]:.2f} |{middle} {shown} |")
    return medians
