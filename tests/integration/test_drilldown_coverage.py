"""The drill-down's "usual level" counts only hours in which the store had data.

A store that started collecting six hours ago has no "usual" for the eighteen hours
before: averaged over the whole 24-hour baseline, an ordinary hour read as 4× its usual
level (the demo's first digest said United "rose to 3.5×" on its first day). Hours
in which no post of any subject arrived are a gap, and a baseline with none at all says
there is nothing earlier to compare with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.listening.drilldown.queries import hours_with_data
from groundswell.listening.drilldown.service import drilldown
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate

NOW = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)


def _steady(db: Database, *, since: datetime, until: datetime) -> None:
    """Ten posts an hour, one every six minutes, from ``since`` to ``until``."""
    with db.session() as s:
        tw = Channel(key="twitter", name="X / Twitter")
        s.add(tw)
        s.flush()
        rows = []
        at = since
        while at < until:
            rows.append(RollupInput(at, tw.id, "neutral", 0.0, ()))
            at += timedelta(minutes=6)
        add_to_rollups(s, aggregate(rows))


def test_a_steady_rate_after_a_late_start_stays_near_its_usual_level(db: Database) -> None:
    _steady(db, since=NOW - timedelta(hours=6), until=NOW + timedelta(hours=1))
    with db.session() as s:
        assert hours_with_data(s, NOW - timedelta(hours=24), NOW) == 6.0
        assert hours_with_data(s, NOW - timedelta(hours=6, minutes=30), NOW) == 6.0
        # Edge hours count for the part inside the range.
        assert hours_with_data(s, NOW - timedelta(minutes=90), NOW) == 1.5
        result = drilldown(
            s, subject_id=None, start=NOW, end=NOW + timedelta(hours=1), embedder="none"
        )
    assert result.volume.baseline.hours_with_data == 6.0
    assert result.volume.baseline.per_hour == 10.0
    assert result.volume.ratio == 1.0
    assert "stayed near its usual level" in result.summary
    # The control: over the whole 24 hours the same hour reads as a fourfold rise.
    assert result.volume.focus.per_hour / (60 / 24) == 4.0


def test_no_earlier_data_is_said_as_such(db: Database) -> None:
    _steady(db, since=NOW, until=NOW + timedelta(hours=1))
    with db.session() as s:
        result = drilldown(
            s, subject_id=None, start=NOW, end=NOW + timedelta(hours=1), embedder="none"
        )
    assert result.volume.ratio is None
    assert result.volume.baseline.hours_with_data == 0.0
    assert "no earlier data to compare with" in result.summary
    assert "usual" not in result.summary
