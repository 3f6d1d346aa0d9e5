"""``python -m bench.nab``: the NAB section of ``make eval-spikes`` on its own."""

from __future__ import annotations

import time

from bench.nab.data import load_files
from bench.nab.report import alert_figures, score_table
from bench.nab.run import run_all, run_product
from groundswell.listening.spikes import SpikeDetector


def report() -> list[str]:
    """The NAB section: scores beside the anchors, then alert-level figures."""
    files = load_files()
    tweets = [f for f in files if f.category == "realTweets"]
    product = run_product(tweets)
    candidate = run_all(files)
    name = f"{SpikeDetector.VERSION} (product)"
    lines = score_table(files, {name: product, "candidate": candidate})
    lines.append("Alert figures at default settings (episode openings; NAB rows, not minutes):")
    for name, group, outputs in (
        (f"{SpikeDetector.VERSION}, realTweets", tweets, product),
        ("candidate, realTweets", tweets, candidate),
        ("candidate, all dev", files, candidate),
    ):
        figs = alert_figures(group, outputs)
        lines.append(f"  {name}: " + "; ".join(f"{k} {v}" for k, v in figs.items()))
    return lines


def main() -> None:
    began = time.perf_counter()
    for line in report():
        print(line)
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
