"""Print the quality table: spike detector against the rolling z-score, per suite."""

from __future__ import annotations

import time

from bench.eval_spikes.airline import describe_labels, load_airlines
from bench.eval_spikes.runners import Hits, run_spike_detector, run_zscore
from bench.eval_spikes.scoring import Score, score
from bench.eval_spikes.synthetic import START, Series, synthetic_suite
from bench.nab.__main__ import report as nab_report
from bench.nab.data import ROOT as NAB_ROOT
from groundswell.listening.spikes import DetectorParams, SpikeDetector


def _table(rows: list[tuple[str, str, Score]]) -> None:
    header = ["suite", "detector", *rows[0][2].row().keys()]
    body = [[suite, name, *sc.row().values()] for suite, name, sc in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in body:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    params = DetectorParams()
    warmup = params.warmup_minutes
    began = time.perf_counter()
    synthetic = synthetic_suite()
    air_start, airlines = load_airlines()
    suites: list[tuple[str, list[Series], list[Hits], list[Hits]]] = []
    for name, group in (
        ("quiet", [s for s in synthetic if s.group == "quiet"]),
        ("busy", [s for s in synthetic if s.group == "busy"]),
    ):
        suites.append(
            (name, group, run_spike_detector(group, START, params), run_zscore(group, warmup))
        )
    suites.append(
        (
            "airline",
            airlines,
            run_spike_detector(airlines, air_start, params),
            run_zscore(airlines, warmup),
        )
    )
    rows: list[tuple[str, str, Score]] = []
    for name, group, ours, zs in suites:
        rows.append((name, SpikeDetector.VERSION, score(group, ours, warmup)))
        rows.append((name, "rolling-z", score(group, zs, warmup)))
    print(f"Spike detection quality ({SpikeDetector.VERSION}, warm-up {warmup} min)\n")
    _table(rows)
    print("\nRecall by event kind (synthetic, quiet + busy):\n")
    kind_rows: list[tuple[str, str, Score]] = []
    for kind in ("volume", "negative", "sentiment"):
        for group in ("quiet", "busy"):
            suite = next(s for s in suites if s[0] == group)
            kind_rows.append(
                (
                    f"{group} {kind}",
                    SpikeDetector.VERSION,
                    score(suite[1], suite[2], warmup, {kind}),
                )
            )
    _table(kind_rows)
    print("\nAirline labels:", "; ".join(describe_labels(air_start, airlines)))
    if NAB_ROOT.exists():
        print("\nNumenta Anomaly Benchmark, development set (bench/nab):\n")
        for line in nab_report():
            print(line)
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
