"""``python -m bench.nab``: the NAB section of ``make eval-spikes`` on its own."""

from __future__ import annotations

import time

from bench.nab.data import load_files
from bench.nab.report import alert_figures, score_table
from bench.nab.run import run_all


def main() -> None:
    began = time.perf_counter()
    files = load_files()
    outputs = run_all(files)
    for line in score_table(files, outputs, "gs-spike-2"):
        print(line)
    tweets = [f for f in files if f.category == "realTweets"]
    print("Alert figures at default settings:")
    for name, group in (("realTweets", tweets), ("all dev", files)):
        figs = alert_figures(group, outputs)
        print(f"  {name}: " + "; ".join(f"{k} {v}" for k, v in figs.items()))
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
