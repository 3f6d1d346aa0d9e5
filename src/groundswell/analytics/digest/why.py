"""Why: themes, rising terms and a few sample posts, from listening's drill-down.

The drill-down reads a bounded, time-stratified sample of the period's posts (at most a
few thousand), so this stays fast on a day of a million posts. The embedding model is
not loaded for a digest: term-based clusters are enough for theme labels.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from groundswell.analytics.digest.period import Period
from groundswell.analytics.digest.schemas import SamplePost, Theme, Why
from groundswell.crm.visibility import is_private
from groundswell.listening.drilldown.schemas import DrilldownRead
from groundswell.listening.drilldown.service import MAX_RANGE, drilldown, drilldown_for_alert

MAX_THEMES = 4
MAX_TERMS = 6
MAX_SAMPLES = 3
SAMPLE_CHARS = 220
LINE_CHARS = 200
SUMMARY_CHARS = 300
"""The page's "Why" paragraph: whole sentences up to this length (cut mid-sentence, it
ended on "Most posts…")."""
SIGNIFICANT = 6.63
"""Dunning G² above which a term's rise is significant at p < 0.01."""
SUMMARISED_ALERTS = 3
"""Alerts beyond the strongest few keep the detector's own one-line summary."""


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(summary: str, limit: int = LINE_CHARS) -> str:
    """The first sentences of a drill-down summary that fit on one line."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(summary.split()))
    line = ""
    for sentence in sentences:
        if line and len(line) + 1 + len(sentence) > limit:
            break
        line = f"{line} {sentence}".strip()
    return clip(line or summary, limit)


def alert_summaries(session: Session, alert_ids: list[int]) -> dict[int, str]:
    return {
        alert_id: one_line(drilldown_for_alert(session, alert_id, embedder="none").summary)
        for alert_id in alert_ids[:SUMMARISED_ALERTS]
    }


def period_drilldown(
    session: Session, subject_id: int, period: Period, now: datetime | None = None
) -> DrilldownRead:
    """The drill-down of the period so far: a day not over is read up to ``now``, so its
    rate per hour (against the hours before it) is not diluted by hours still to come.
    Its words are compared with the period before only (a day with the day before), never
    with the three hours before the period's start."""
    end = min(period.end, period.start + MAX_RANGE)
    if now is not None:
        end = min(end, max(now, period.start + timedelta(minutes=1)))
    return drilldown(
        session,
        subject_id=subject_id,
        start=period.start,
        end=end,
        embedder="none",
        compare_recent=False,
    )


def _negative_share(term: str, d: DrilldownRead) -> float | None:
    """Of the read posts (samples and cluster examples) holding ``term``, the negative share."""
    posts = {p.id: p for p in d.samples}
    posts.update({p.id: p for c in d.clusters for p in c.examples})
    labels = [p.sentiment_label for p in posts.values() if term.lower() in p.text.lower()]
    if not labels:
        return None
    return round(sum(1 for x in labels if x == "negative") / len(labels), 2)


def term_themes(d: DrilldownRead) -> list[Theme]:
    """Themes from the strongest rising phrases, when the posts read formed no clusters."""
    rising = [t for t in (*d.phrases, *d.terms) if t.log_ratio > 0 and t.g2 >= SIGNIFICANT]
    return [
        Theme(
            label=clip(t.term, 60), posts=t.focus_count, negative_share=_negative_share(t.term, d)
        )
        for t in rising[:MAX_THEMES]
    ]


def why(d: DrilldownRead) -> Why:
    themes = []
    for cluster in [c for c in d.clusters if c.terms][:MAX_THEMES]:
        labels = [e.sentiment_label for e in cluster.examples if e.sentiment_label]
        negative = sum(1 for x in labels if x == "negative")
        themes.append(
            Theme(
                label=clip(", ".join(cluster.terms[:3]), 60),
                posts=cluster.size,
                negative_share=round(negative / len(labels), 2) if labels else None,
            )
        )
    themes = themes or term_themes(d)
    rising = [t.term for t in (*d.phrases, *d.terms) if t.log_ratio > 0][:MAX_TERMS]
    samples = [
        SamplePost(
            text=clip(p.text, SAMPLE_CHARS),
            channel=p.channel_key,
            author=p.author_handle,
            sentiment=p.sentiment_label or "neutral",
        )
        for p in [p for p in d.samples if not is_private(p)][:MAX_SAMPLES]
    ]
    summary = one_line(d.summary, SUMMARY_CHARS)
    return Why(summary=summary, themes=themes, rising_terms=rising, samples=samples)
