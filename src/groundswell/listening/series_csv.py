"""A series as CSV, one row per bucket, for analysts' own tools.

Only timestamps and numbers are written (no subject names or post text), so nothing in
the file can be read as a spreadsheet formula. Empty buckets keep their zero counts and
an empty net sentiment, as in the JSON; ``gap`` is 1 where nothing at all was stored
while the store is usually busy (down or loading), so those zeros are not read as drops.
"""

from __future__ import annotations

import csv
import io

from groundswell.listening.series_schemas import Series

COLUMNS = ("bucket_start_utc", "volume", "negative", "neutral", "positive", "net_sentiment", "gap")


def series_csv(series: Series) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i, t in enumerate(series.t):
        net = series.net_sentiment[i]
        writer.writerow(
            (
                t.isoformat().replace("+00:00", "Z"),
                series.volume[i],
                series.negative[i],
                series.neutral[i],
                series.positive[i],
                "" if net is None else f"{net:.4f}",
                1 if series.gaps and series.gaps[i] else 0,
            )
        )
    return out.getvalue()
