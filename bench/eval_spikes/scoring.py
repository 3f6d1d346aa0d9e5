"""Score anomalous minutes against labelled events, counting alerts as episodes.

An episode is a run of anomalous minutes of one series × metric, merged across gaps of up
to ``GAP`` minutes (the alert layer keeps one alert per episode). An event is detected
when any anomalous minute of a metric it affects falls in [onset, end + ``LATE``); its
delay is that minute minus the onset. An episode is false when it overlaps no event
window [onset, end + ``TAIL``) of its series. "delay ≥3× vol" is the median delay of
the volume spikes of at least 3× alone, the events whose recall is "recall ≥3× vol";
"median delay" is over every detected event of the row's kinds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.eval_spikes.runners import Hits
from bench.eval_spikes.synthetic import Event, Series

GAP, LATE, TAIL = 10, 15, 30
AFFECTS = {
    "volume": {"volume", "negative"},
    "negative": {"negative", "net_sentiment"},
    "sentiment": {"net_sentiment", "negative"},
}


@dataclass(slots=True)
class Score:
    events: int = 0
    detected: int = 0
    big_events: int = 0
    big_detected: int = 0
    delays: list[int] | None = None
    big_delays: list[int] | None = None
    episodes: int = 0
    false_episodes: int = 0
    clean_false: int = 0
    clean_weeks: float = 0.0

    def row(self) -> dict[str, str]:
        delays = self.delays or []
        big_delays = self.big_delays or []
        return {
            "events": str(self.events),
            "recall": _pct(self.detected, self.events),
            "recall ≥3× vol": _pct(self.big_detected, self.big_events),
            "median delay": f"{statistics.median(delays):.0f}" if delays else "–",
            "delay ≥3× vol": f"{statistics.median(big_delays):.0f}" if big_delays else "–",
            "precision": _pct(self.episodes - self.false_episodes, self.episodes),
            "false/series-wk (clean)": (
                f"{self.clean_false / self.clean_weeks:.2f}" if self.clean_weeks else "–"
            ),
        }


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.0f}%" if b else "–"


def episodes(minutes: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for t in sorted(minutes):
        if runs and t - runs[-1][1] <= GAP:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def score(
    series: list[Series], hits: list[Hits], warmup: int, kinds: set[str] | None = None
) -> Score:
    """Score one detector's hits; events of other ``kinds`` still excuse their episodes."""
    result = Score(delays=[], big_delays=[])
    assert result.delays is not None and result.big_delays is not None
    for s, found in zip(series, hits, strict=True):
        length = len(s.total)
        for ev in s.events:
            if ev.onset < warmup or (kinds and ev.kind not in kinds):
                continue
            result.events += 1
            big = ev.kind == "volume" and ev.size >= 3.0
            result.big_events += big
            end = ev.onset + ev.duration + LATE
            first = min(
                (t for m, t in found if m in AFFECTS[ev.kind] and ev.onset <= t < end),
                default=None,
            )
            if first is not None:
                result.detected += 1
                result.big_detected += big
                result.delays.append(first - ev.onset)
                if big:
                    result.big_delays.append(first - ev.onset)
        false = 0
        for metric in {m for m, _ in found}:
            for a, b in episodes([t for m, t in found if m == metric]):
                result.episodes += 1
                if not any(_overlaps(a, b, ev) for ev in s.events):
                    false += 1
        result.false_episodes += false
        if not s.events:
            result.clean_false += false
            result.clean_weeks += (length - warmup) / 10080.0
    return result


def _overlaps(a: int, b: int, ev: Event) -> bool:
    return a < ev.onset + ev.duration + TAIL and b >= ev.onset
