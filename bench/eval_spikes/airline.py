"""The airline data set as per-airline minute series, with documented labelled surges.

Labels follow one rule, checked by eye against the hourly counts: an hour with at least
three times the airline's median hourly count and at least 20 posts is a surge hour;
surge hours less than three hours apart form one episode. American is left out: its
history in this sample starts on 22 February, so there is no baseline to judge it by.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from bench.eval_spikes.synthetic import Event, Series
from groundswell.ingestion.formats import parse_file

TWEETS = Path("/work/shared/data/airline/Tweets.csv")
EXCLUDED = {"American"}
SURGE_FACTOR, SURGE_MIN_POSTS, MERGE_HOURS = 3.0, 20, 3


def load_airlines(path: Path = TWEETS) -> tuple[datetime, list[Series]]:
    """Minute series per airline over the data set's whole span, from its first minute."""
    counts: Counter[tuple[str, datetime, str]] = Counter()
    for record in parse_file(path, "airline"):
        post = getattr(record, "post", None)
        if post is None:
            continue
        minute = post.created_at.replace(second=0, microsecond=0)
        counts[(str(post.raw["airline"]), minute, str(post.raw["airline_sentiment"]))] += 1
    start = min(m for _, m, _ in counts).replace(minute=0)
    span = int((max(m for _, m, _ in counts) - start).total_seconds() // 60) + 1
    airlines = sorted({a for a, _, _ in counts} - EXCLUDED)
    out: list[Series] = []
    for airline in airlines:
        arrays = {s: np.zeros(span, dtype=np.int64) for s in ("negative", "positive", "neutral")}
        for (a, minute, sentiment), n in counts.items():
            if a == airline:
                arrays[sentiment][int((minute - start).total_seconds() // 60)] += n
        total = arrays["negative"] + arrays["positive"] + arrays["neutral"]
        series = Series(airline, "airline", total, arrays["negative"], arrays["positive"])
        series.events = surge_labels(total)
        out.append(series)
    return start, out


def surge_labels(total: np.ndarray) -> list[Event]:
    hours = total[: len(total) // 60 * 60].reshape(-1, 60).sum(axis=1)
    median = statistics.median(hours.tolist())
    surge = [h for h, n in enumerate(hours) if n >= max(SURGE_FACTOR * median, SURGE_MIN_POSTS)]
    events: list[Event] = []
    for h in surge:
        if events and h * 60 - (events[-1].onset + events[-1].duration) < MERGE_HOURS * 60:
            last = events[-1]
            events[-1] = Event("volume", last.onset, h * 60 + 60 - last.onset, SURGE_FACTOR)
        else:
            events.append(Event("volume", h * 60, 60, SURGE_FACTOR))
    return events


def describe_labels(start: datetime, series: list[Series]) -> list[str]:
    return [
        f"{s.name}: {(start + timedelta(minutes=e.onset)):%m-%d %H:%M}–"
        f"{(start + timedelta(minutes=e.onset + e.duration)):%H:%M} UTC"
        for s in series
        for e in s.events
    ]
