"""NAB-normalised scores per category beside the published anchors, and alert figures."""

from __future__ import annotations

import statistics
from datetime import datetime

from bench.nab.data import CATEGORIES, NabFile, load_anchors
from bench.nab.run import Output
from bench.nab.scorer import PROFILES, normalised, probationary_rows, score_file

GROUPS = (*[c for c in CATEGORIES if c != "artificialNoAnomaly"], "all_dev")
SHORT = {"reward_low_FP_rate": "low-FP", "reward_low_FN_rate": "low-FN", "standard": "standard"}
SHOWN = (
    "ARTime",
    "numenta",
    "contextOSE",
    "knncad",
    "relativeEntropy",
    "windowedGaussian",
    "random",
)


def group_scores(
    files: list[NabFile], outputs: dict[str, Output], profile: str
) -> dict[str, float | None]:
    """Normalised score per group over the files ``outputs`` covers (None: no such file)."""
    prof = PROFILES[profile]
    sums: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
    wins: dict[str, int] = dict.fromkeys(GROUPS, 0)
    seen: set[str] = set()
    for f in files:
        if f.key not in outputs:
            continue
        raw = score_file(outputs[f.key].scores, f.windows, 0.5, prof).raw
        for g in (f.category, "all_dev"):
            if g in sums:
                sums[g] += raw
                wins[g] += len(f.windows)
                seen.add(g)
    complete = all(f.key in outputs for f in files)
    return {
        g: normalised(sums[g], wins[g], prof)
        if g in seen and wins[g] and (g != "all_dev" or complete)
        else None
        for g in GROUPS
    }


def score_table(files: list[NabFile], ours: dict[str, dict[str, Output]]) -> list[str]:
    """One table per profile: each of ``ours`` (name → outputs) above the published rows."""
    anchors = load_anchors()
    lines: list[str] = []
    for profile in PROFILES:
        header = ["detector", *[g.replace("artificial", "art") for g in GROUPS]]
        rows: list[list[str]] = []
        for name, outputs in ours.items():
            got = group_scores(files, outputs, profile)
            rows.append([name, *["-" if got[g] is None else f"{got[g]:.1f}" for g in GROUPS]])
        for det in SHOWN:
            rows.append([det, *[f"{anchors[(det, g, profile)]:.1f}" for g in GROUPS]])
        lines.append(f"NAB normalised score, {SHORT[profile]} profile (published rows: NAB's own)")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines.append(" | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
        lines.append("-|-".join("-" * w for w in widths))
        lines.extend(" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
        lines.append("")
    return lines


def alert_figures(files: list[NabFile], outputs: dict[str, Output]) -> dict[str, str]:
    """False episodes per series-day outside windows, windows alerted, median delay."""
    false = 0
    days = 0.0
    caught = 0
    windows = 0
    delays: list[float] = []
    for f in files:
        o = outputs[f.key]
        start = probationary_rows(len(f.values))
        stamps = [datetime.fromisoformat(s) for s in f.timestamps]
        days += (stamps[-1] - stamps[start]).total_seconds() / 86400.0
        inside = [False] * len(stamps)
        for a, b in f.windows:
            for i in range(a, b + 1):
                inside[i] = True
        openings = [i for i in range(start, len(stamps)) if o.scores[i] > 0]
        false += sum(1 for i in openings if not inside[i])
        for a, b in f.windows:
            windows += 1
            hit = [i for i in openings if a <= i <= b]
            if hit:
                caught += 1
                delays.append((stamps[hit[0]] - stamps[a]).total_seconds() / 60.0)
    return {
        "series": str(len(files)),
        "series-days": f"{days:.0f}",
        "false episodes / series-day": f"{false / days:.3f}" if days else "-",
        "windows alerted": f"{caught}/{windows} ({100 * caught / windows:.0f} %)"
        if windows
        else "-",
        "median delay from window start (min)": f"{statistics.median(delays):.0f}"
        if delays
        else "-",
    }
