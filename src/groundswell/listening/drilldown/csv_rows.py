"""A drill-down as CSV rows: every section of the page in one long table.

One table rather than a file per section, so an analyst opens one download and filters
by ``section``. Rows keep the page's figures unrounded where they are counts and shares;
text cells (terms, names, post text) are hostile and pass through
``core.csv_export.encode_rows``, which keeps a spreadsheet from running them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from groundswell.listening.drilldown.schemas import DrilldownRead, KeyTermRead, MixRead

HEADER = (
    "section",
    "item",
    "kind",
    "time",
    "count",
    "share",
    "baseline_count",
    "baseline_share",
    "ratio",
    "g2",
    "detail",
)

Row = tuple[Any, ...]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _row(section: str, item: Any = "", **cells: Any) -> Row:
    return (section, item, *(cells.get(c, "") for c in HEADER[2:]))


def _term(section: str, k: KeyTermRead) -> Row:
    return _row(
        section,
        k.term,
        kind=k.kind,
        count=k.focus_count,
        share=round(k.focus_share, 6),
        baseline_count=k.baseline_count,
        baseline_share=round(k.baseline_share, 6),
        ratio=round(2.0**k.log_ratio, 3),
        g2=round(k.g2, 3),
    )


def _mix(section: str, m: MixRead) -> Row:
    usual = m.baseline_share
    return _row(
        section,
        m.label,
        kind=m.key,
        count=m.count,
        share=round(m.share, 6),
        baseline_share="" if usual is None else round(usual, 6),
        ratio=round(m.share / usual, 3) if usual else "",
    )


def drilldown_rows(d: DrilldownRead) -> Iterator[Row]:
    """The rows of one drill-down, in the page's order."""
    focus, base = d.volume.focus, d.volume.baseline
    scope = d.subject.name if d.subject else "all posts"
    yield _row(
        "scope", scope, kind=d.channel or "", detail=f"alert #{d.alert_id}" if d.alert_id else ""
    )
    yield _row("summary", detail=d.summary)
    yield _row(
        "volume",
        "posts",
        time=f"{_iso(focus.start)}/{_iso(focus.end)}",
        count=focus.posts,
        baseline_count=base.posts,
        ratio="" if d.volume.ratio is None else d.volume.ratio,
        detail=f"baseline {_iso(base.start)}/{_iso(base.end)}",
    )
    yield _row(
        "volume",
        "posts per hour",
        count=round(focus.per_hour, 3),
        baseline_count=round(base.per_hour, 3),
        ratio="" if d.volume.ratio is None else d.volume.ratio,
    )
    yield _row(
        "sampling",
        "posts read",
        count=d.sampling.focus_read,
        baseline_count=d.sampling.baseline_read,
        detail="every post" if d.sampling.focus_complete else "a time-stratified sample",
    )
    yield _row("comparison", d.comparison)
    for k in d.phrases:
        yield _term("phrase", k)
    for k in d.terms:
        yield _term("term", k)
    for m in d.sentiment:
        yield _mix("sentiment", m)
    for m in d.channels:
        yield _mix("channel", m)
    for c in d.cooccurring:
        yield _row(
            "mentioned alongside",
            c.subject.name,
            count=c.focus_count,
            share=round(c.focus_share, 6),
            baseline_share=round(c.baseline_share, 6),
            ratio="" if c.lift is None else c.lift,
        )
    for a in d.authors:
        yield _row(
            "author",
            a.handle or a.display_name or f"identity {a.identity_id}",
            kind=a.platform,
            count=a.posts,
            detail=f"followers {a.followers if a.followers is not None else 'unknown'}; "
            f"influence {a.influence:.1f}",
        )
    for group in d.clusters:
        yield _row(
            "cluster",
            " / ".join(group.terms),
            count=group.size,
            share=round(group.share, 6),
            detail=f"{d.cluster_method}",
        )
    for p in d.samples:
        yield _row(
            "sample",
            p.author_handle or "",
            kind=p.channel_key,
            time=_iso(p.created_at),
            detail=p.text,  # withheld already for a role that may not read private messages
        )
    for note in d.notes:
        yield _row("note", detail=note)
