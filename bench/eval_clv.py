"""``make eval-clv``: BG/NBD and Gamma-Gamma on the CDNOW sample against the published fits.

The CDNOW sample (2,357 customers who first bought in the first 12 weeks of 1997) with the
papers' 39-week calibration period (1997-01-01 to 1997-09-30) and a 39-week holdout (to
1998-06-30). Parameters must be within 1 % of Fader, Hardie & Lee (2005) and the Gamma-Gamma
note, the log-likelihood within 0.5; the holdout compares predicted with actual repeat
purchases, in total and by calibration frequency (the papers' conditional-expectation check).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import numpy as np

from groundswell.crm.clv import math as clv_math
from groundswell.crm.clv.summary import repeat_days_between, summarise


def shared_data() -> Path:
    """``shared/data`` beside the project or beside any of its parents (worktrees)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/data not found next to the project")


CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
HOLDOUT_WEEKS = (HOLDOUT_END - CALIBRATION_END).days / 7.0
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BG_LL = -9582.4
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def load(path: Path) -> list[tuple[str, date, float]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 5:
            rows.append((parts[0], datetime.strptime(parts[2], "%Y%m%d").date(), float(parts[4])))
    return rows


def main() -> int:
    rows = load(shared_data() / "cdnow" / "CDNOW_sample.txt")
    started = time.perf_counter()
    summaries = summarise(rows, cutoff=CALIBRATION_END)
    x = np.array([s.x for s in summaries], dtype=float)
    t_x = np.array([s.t_x for s in summaries])
    big_t = np.array([s.big_t for s in summaries])
    m_x = np.array([s.m_x for s in summaries])
    bg = clv_math.fit_bgnbd(x, t_x, big_t)
    gg = clv_math.fit_gamma_gamma(x, m_x)
    seconds = time.perf_counter() - started
    print(
        f"CDNOW sample: {len(rows)} purchases, {len(summaries)} customers, "
        f"{int((x > 0).sum())} with repeat purchases in calibration; fitted in {seconds:.2f} s"
    )
    print()
    print(f"{'parameter':<22}{'fitted':>12}{'published':>12}{'diff':>10}  within")
    ok = True
    for name, published in PUBLISHED_BG.items():
        ours = getattr(bg, name)
        rel = abs(ours - published) / published
        ok &= rel <= 0.01
        print(f"BG/NBD {name:<15}{ours:>12.3f}{published:>12.3f}{rel:>9.2%}  {rel <= 0.01}")
    ll_diff = abs(bg.log_likelihood - PUBLISHED_BG_LL)
    ok &= ll_diff <= 0.5
    print(
        f"{'BG/NBD LL':<22}{bg.log_likelihood:>12.1f}{PUBLISHED_BG_LL:>12.1f}"
        f"{ll_diff:>10.2f}  {ll_diff <= 0.5}"
    )
    for name, published in PUBLISHED_GG.items():
        ours = getattr(gg, name)
        rel = abs(ours - published) / published
        ok &= rel <= 0.01
        print(f"Gamma-Gamma {name:<10}{ours:>12.2f}{published:>12.2f}{rel:>9.2%}  {rel <= 0.01}")
    print()
    actual = repeat_days_between(rows, after=CALIBRATION_END, until=HOLDOUT_END)
    predicted = clv_math.expected_purchases(bg, HOLDOUT_WEEKS, x, t_x, big_t)
    got = np.array([actual.get(s.key, 0) for s in summaries], dtype=float)
    print(
        f"holdout {HOLDOUT_WEEKS:.0f} weeks (to {HOLDOUT_END}): predicted "
        f"{predicted.sum():.0f} repeat purchases, actual {got.sum():.0f} "
        f"(ratio {predicted.sum() / got.sum():.3f})"
    )
    print(f"{'calibration x':<16}{'customers':>10}{'predicted':>11}{'actual':>9}")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(summaries):
        groups[str(s.x) if s.x < 7 else "7+"].append(i)
    for label in [*map(str, range(7)), "7+"]:
        idx = groups[label]
        print(f"{label:<16}{len(idx):>10}{predicted[idx].mean():>11.2f}{got[idx].mean():>9.2f}")
    spend = clv_math.expected_average_spend(gg, x, m_x)
    actual_mean = float(m_x[x > 0].mean())
    print()
    print(
        f"Gamma-Gamma: mean expected spend {spend[x > 0].mean():.2f} against observed mean "
        f"repeat spend {actual_mean:.2f} (repeat buyers)"
    )
    print("all within tolerance" if ok else "OUT OF TOLERANCE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
