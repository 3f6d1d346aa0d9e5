"""Is every channel served as well as the others?

For each channel, its median first response and resolution are compared with the median
of all the *other* channels' cases together (their histograms added). A channel lags when
either median is more than ``margin`` above the others' (0.25: 25 % slower) and it has at
least ``min_samples`` measured cases, so a channel with three cases is not flagged by chance.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import Figures
from groundswell.analytics.engagement.queries import distribution, load
from groundswell.analytics.engagement.schemas import ChannelFairness, FairnessReport
from groundswell.analytics.engagement.segment_rows import CaseRows


def lag(own: histogram.Hist, others: histogram.Hist, min_samples: int) -> float | None:
    """``own median / others' median − 1``; None without enough samples on either side."""
    if histogram.total(own) < min_samples or histogram.total(others) < min_samples:
        return None
    mine = histogram.quantile(own, 0.5)
    theirs = histogram.quantile(others, 0.5)
    if mine is None or theirs is None or theirs <= 0:
        return None
    return mine / theirs - 1.0


def compare(
    channels: dict[str, Figures],
    *,
    margin: float,
    min_samples: int,
    basis: Literal["business", "wall"],
) -> list[ChannelFairness]:
    suffix = "_bus" if basis == "business" else "_wall"
    out = []
    for name in sorted(channels):
        fig = channels[name]
        lags: list[float | None] = []
        for prefix in ("frt", "res"):
            others: histogram.Hist = {}
            for other, ofig in channels.items():
                if other != name:
                    histogram.merge(others, ofig.hists.get(prefix + suffix, {}))
            lags.append(lag(fig.hists.get(prefix + suffix, {}), others, min_samples))
        out.append(
            ChannelFairness(
                channel=name,
                first_response=distribution(fig, "frt" + suffix, "frt" + suffix + "_sum"),
                resolution=distribution(fig, "res" + suffix, "res" + suffix + "_sum"),
                first_response_lag=lags[0],
                resolution_lag=lags[1],
                lagging=any(v is not None and v > margin for v in lags),
            )
        )
    return out


def fairness(
    session: Session,
    start: date,
    end: date,
    *,
    margin: float,
    min_samples: int,
    basis: Literal["business", "wall"] = "business",
    cases: CaseRows | None = None,
) -> FairnessReport:
    """``cases``: a segment's cases only, instead of the stored rollup."""
    if cases is None:
        channels = load(session, start, end, "channel")
    else:
        channels = cases.load(start, end, "channel")
    return FairnessReport(
        start=start,
        end=end,
        margin=margin,
        min_samples=min_samples,
        basis=basis,
        channels=compare(channels, margin=margin, min_samples=min_samples, basis=basis),
    )
