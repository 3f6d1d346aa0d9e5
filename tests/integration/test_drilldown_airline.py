"""Drill-down on the real airline tweets: a complaint storm surfaces its own words.

The data set holds a wave of cancellations around 22–24 February 2015. The test finds
American's busiest hour of negative posts from the data itself, drills into the half day
around it, and expects the complaint's words to stand out against the baseline, with no
stop words among them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.core.db import Database
from groundswell.crm.models import Interaction, InteractionSubject
from groundswell.listening.drilldown.service import drilldown
from groundswell.listening.drilldown.stopwords import STOP_WORDS
from groundswell.listening.models import Subject
from groundswell.workers.importer import import_file
from gs_testing import make_settings, migrated_sqlite_url, require_data

pytestmark = pytest.mark.slow

AIRLINES = {
    "US Airways": '@usairways OR "us airways"',
    "American": '@americanair OR "american airlines"',
    "United": "@united",
    "Southwest": "@southwestair OR southwest",
    "JetBlue": "@jetblue OR jetblue",
    "Virgin America": '@virginamerica OR "virgin america"',
}
COMPLAINT_WORDS = {"cancelled", "flightled", "delayed", "hold", "rebooked", "rebook", "call"}


@pytest.fixture(scope="module")
def airline_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = require_data("airline", "Tweets.csv")
    url = migrated_sqlite_url(Path(tmp_path_factory.mktemp("airline")) / "gs.db")
    settings = make_settings(url)
    db = Database(settings)
    with db.session() as s:
        s.add_all(Subject(name=n, kind="brand", query=q) for n, q in AIRLINES.items())
    report = import_file(settings, path, "airline", db=db)
    assert report.rejected == 0
    return db


def test_complaint_spike_surfaces_the_complaint_words(airline_db: Database) -> None:
    with airline_db.session() as s:
        american = s.scalar(sa.select(Subject.id).where(Subject.name == "American"))
        assert american is not None
        times = s.scalars(
            sa.select(Interaction.created_at)
            .join(InteractionSubject, InteractionSubject.interaction_id == Interaction.id)
            .where(
                InteractionSubject.subject_id == american,
                Interaction.sentiment_label == "negative",
            )
        ).all()
        hours: dict[object, int] = {}
        for t in times:
            hour = t.replace(minute=0, second=0, microsecond=0)
            hours[hour] = hours.get(hour, 0) + 1
        busiest = max(hours, key=lambda h: (hours[h], h))
        assert busiest.date().isoformat() in ("2015-02-22", "2015-02-23", "2015-02-24")

        result = drilldown(
            s,
            subject_id=american,
            start=busiest - timedelta(hours=6),
            end=busiest + timedelta(hours=7),
            embedder="none",
        )

    words = {t.term for t in result.terms}
    phrase_words = {w for p in result.phrases for w in p.term.split()}
    assert len((words | phrase_words) & COMPLAINT_WORDS) >= 2, (words, phrase_words)
    assert "cancelled" in words | phrase_words
    assert not words & STOP_WORDS
    assert not any(w.startswith(("http", "t.co")) for w in words)
    assert result.volume.ratio is not None and result.volume.ratio > 3
    assert any(w in result.summary for w in COMPLAINT_WORDS), result.summary
    assert result.clusters and result.cluster_method == "terms"
    assert result.sentiment and result.authors and result.samples
