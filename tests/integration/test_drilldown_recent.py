"""A drill-down whose words the long baseline already holds compares with the hours before.

A complaint that ran all day yesterday and quietened this morning, then flares again,
stands out against the preceding hours, not against the 24 h baseline: the drill-down
must not say "nothing stands out" then, and must say which comparison it used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundswell.analytics.digest.period import Period
from groundswell.analytics.digest.why import period_drilldown
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.listening.drilldown.service import RECENT_LABEL, drilldown

FLARE = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def _posts(db: Database) -> None:
    with db.session() as s:
        tw = Channel(key="twitter", name="X / Twitter")
        s.add(tw)
        s.flush()
        texts: list[tuple[str, datetime]] = []
        for k in range(600):
            at = FLARE - timedelta(hours=24) + timedelta(minutes=2 * k)
            texts.append((f"the onboard wifi keeps dropping on flight {k}", at))
        for k in range(40):
            at = FLARE - timedelta(hours=3) + timedelta(minutes=4 * k)
            texts.append((f"cramped legroom in row {k}, seats too narrow", at))
        for k in range(60):
            texts.append((f"the onboard wifi keeps dropping again ({k})", FLARE + k * 10 * SEC))
        for n, (text, at) in enumerate(texts):
            s.add(
                Interaction(
                    channel_id=tw.id,
                    external_id=f"p{n}",
                    direction="in",
                    text=text,
                    created_at=at,
                    sentiment_label="negative",
                    sentiment_score=-0.5,
                    subject_ids=[],
                    influence=1.0,
                )
            )


SEC = timedelta(seconds=1)


def test_no_standout_against_the_baseline_compares_with_the_preceding_hours(
    db: Database,
) -> None:
    _posts(db)
    with db.session() as s:
        result = drilldown(
            s,
            subject_id=None,
            start=FLARE,
            end=FLARE + timedelta(minutes=10),
            embedder="none",
        )
    assert result.comparison == RECENT_LABEL
    words = {k.term for k in result.terms}
    assert {"wifi", "dropping"} & words
    assert any(RECENT_LABEL in n for n in result.notes)
    assert RECENT_LABEL in result.summary


def test_a_standout_against_the_baseline_says_so(db: Database) -> None:
    _posts(db)
    with db.session() as s:
        result = drilldown(
            s,
            subject_id=None,
            start=FLARE - timedelta(hours=3),
            end=FLARE - timedelta(hours=2),
            embedder="none",
        )
    assert result.comparison == "the baseline"
    assert {"legroom", "cramped"} & {k.term for k in result.terms}


def test_the_digests_period_is_not_compared_with_the_hours_before_it(db: Database) -> None:
    """The digest's "Why" reads a calendar day against the day before, never against the
    three hours before midnight: a day's words against one evening's say nothing."""
    _posts(db)
    day = Period(
        kind="day", first_day=FLARE.date(), start=FLARE, end=FLARE + timedelta(days=1), tz="UTC"
    )
    with db.session() as s:
        result = period_drilldown(s, None, day, now=FLARE + timedelta(hours=20))  # type: ignore[arg-type]
        alert_like = drilldown(s, subject_id=None, start=day.start, end=day.end, embedder="none")
    assert result.comparison == "the baseline"
    assert not result.terms and not result.phrases
    assert not any(RECENT_LABEL in n for n in result.notes)
    assert RECENT_LABEL not in result.summary
    # The drill-down itself still falls back, as for an alert.
    assert alert_like.comparison == RECENT_LABEL
