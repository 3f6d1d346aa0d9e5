"""The whole airline data set through the real pipeline, on both storage set-ups.

SQLite + the in-process queue runs exactly what ``groundswell import`` runs; PostgreSQL +
Redis Streams publishes to Redis and drains with the same consumer loop a
``groundswell worker`` process runs. A second import must change nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.core.brokers import open_broker
from groundswell.core.db import Database
from groundswell.crm.models import Contact, Conversation, Identity, Interaction
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from groundswell.listening.models import ALL_POSTS, MinuteRollup
from groundswell.settings import Settings
from groundswell.workers.importer import import_file
from groundswell.workers.loops import process_loop
from gs_testing import make_settings, require_data, truncate_all

pytestmark = pytest.mark.slow

UNIQUE_TWEETS = 14_485
AUTHORS = 7_701


def run_import(settings: Settings, db: Database, path: Path) -> None:
    if settings.embedded_broker:
        report = import_file(settings, path, "airline", db=db)
        assert report.read == 14_640 and report.rejected == 0
        return
    broker = open_broker(settings.broker_url)
    try:
        import_file(settings, path, "airline", db=db, broker=broker, wait=False)
        loop, _ = process_loop(settings, db, broker, consumer="e2e")
        loop.drain()
        assert broker.backlog(posts_stream(settings), PROCESS_GROUP) == 0
    finally:
        broker.close()


def snapshot(db: Database) -> dict[str, object]:
    with db.session() as s:

        def n(model: type) -> int:
            return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

        labels = dict(
            s.execute(
                sa.select(Interaction.sentiment_label, sa.func.count()).group_by(
                    Interaction.sentiment_label
                )
            ).all()
        )
        rollup_labels = dict(
            s.execute(
                sa.select(MinuteRollup.sentiment_label, sa.func.sum(MinuteRollup.count))
                .where(MinuteRollup.subject_id == ALL_POSTS)
                .group_by(MinuteRollup.sentiment_label)
            ).all()
        )
        return {
            "interactions": n(Interaction),
            "identities": n(Identity),
            "contacts": n(Contact),
            "conversations": n(Conversation),
            "labels": labels,
            "rollup_labels": {k: int(v) for k, v in rollup_labels.items()},
            "unlinked": int(
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(Identity)
                    .where(Identity.contact_id.is_(None))
                )
                or 0
            ),
        }


@pytest.fixture(params=["sqlite+memory", pytest.param("postgres+redis", marks=pytest.mark.redis)])
def pipeline_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite+memory":
        return make_settings(str(request.getfixturevalue("sqlite_url")))
    redis_url = str(request.getfixturevalue("redis_url"))
    pg = str(request.getfixturevalue("pg_database_url"))
    settings = make_settings(pg, broker_url=redis_url)
    db = Database(settings)
    truncate_all(db)
    db.dispose()
    return settings


def test_airline_import_end_to_end(pipeline_settings: Settings) -> None:
    path = require_data("airline", "Tweets.csv")
    db = Database(pipeline_settings)
    try:
        run_import(pipeline_settings, db, path)
        first = snapshot(db)
        assert first["interactions"] == UNIQUE_TWEETS
        assert first["identities"] == AUTHORS
        assert first["unlinked"] == 0
        # Every author has a contact; a few share one through an exact key in their posts.
        contacts = first["contacts"]
        assert isinstance(contacts, int) and AUTHORS - 20 <= contacts <= AUTHORS
        assert first["conversations"] == UNIQUE_TWEETS  # no reply ids in this data set
        labels = first["labels"]
        assert isinstance(labels, dict) and set(labels) == {"negative", "neutral", "positive"}
        assert first["rollup_labels"] == labels

        with db.session() as s:
            pairs = s.execute(sa.select(Interaction.sentiment_label, Interaction.raw)).all()
        agreement = Counter((raw["airline_sentiment"], label) for label, raw in pairs)
        right = sum(v for (truth, got), v in agreement.items() if truth == got)
        # The lexicon gets about half of these right; a broken mapping gets far fewer.
        assert right / UNIQUE_TWEETS > 0.45
        neg_rate_on_negative = agreement[("negative", "negative")] / sum(
            v for (t, _), v in agreement.items() if t == "negative"
        )
        neg_rate_on_positive = agreement[("positive", "negative")] / sum(
            v for (t, _), v in agreement.items() if t == "positive"
        )
        assert neg_rate_on_negative > 3 * neg_rate_on_positive

        run_import(pipeline_settings, db, path)
        assert snapshot(db) == first
    finally:
        db.dispose()
