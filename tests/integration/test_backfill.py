"""Backfilling a subject over stored history, on SQLite and PostgreSQL.

The reference is the pipeline itself: a subject that existed while posts were imported
holds exactly the links and rollups a later subject with the same query must get from
the backfill.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.core.errors import NotFoundError
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Interaction, InteractionSubject
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.backfill import run_backfill
from groundswell.listening.backfill_jobs import BackfillJobs
from groundswell.listening.models import MinuteRollup, Subject

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TEXTS = [
    "Acme lost my bag again, worst airline ever",
    "flight delayed three hours, thanks acme",
    "Great crew on the Acme flight today!",
    "Globex has better seats than acme honestly",
    "nothing to do with anything",
    "#acme late again #delayed",
    "Globex delayed too, love their staff though",
]
DELAYS = "delayed OR late"
BRANDS = "acme OR globex"


def _import(db: Database, subjects: list[tuple[int, str]], n: int = 60) -> None:
    enricher = Enricher(subjects=subjects)
    posts = [
        InboundPost.model_validate(
            {
                "channel": "twitter" if i % 3 else "mastodon",
                "external_id": str(i),
                "direction": "out" if i % 10 == 9 else "in",
                "text": TEXTS[i % len(TEXTS)],
                "created_at": (T0 + timedelta(minutes=i // 4, seconds=i)).isoformat(),
                "author": {"external_id": f"u{i % 5}", "handle": f"u{i % 5}"},
            }
        )
        for i in range(n)
    ]
    enrichments = enricher.enrich_many([PostFacts(text=p.text) for p in posts])
    with db.session() as s:
        remember_batch(s, items=list(zip(posts, enrichments, strict=True)), channels=ChannelIds())


def _subject(db: Database, name: str, query: str) -> int:
    with db.session() as s:
        row = Subject(name=name, kind="topic", query=query)
        s.add(row)
        s.flush()
        return row.id


def _state(db: Database, subject_id: int) -> tuple[list[int], list[tuple[object, ...]], list[int]]:
    """Linked interaction ids, rollup rows, and ids whose ``subject_ids`` hold the subject."""
    with db.session() as s:
        links = sorted(
            s.scalars(
                select(InteractionSubject.interaction_id).where(
                    InteractionSubject.subject_id == subject_id
                )
            )
        )
        rollups = sorted(
            (r.minute, r.channel_id, r.sentiment_label, r.count, round(r.sentiment_sum, 6))
            for r in s.scalars(select(MinuteRollup).where(MinuteRollup.subject_id == subject_id))
            if r.count
        )
        tagged = sorted(
            i
            for i, ids in s.execute(select(Interaction.id, Interaction.subject_ids))
            if subject_id in (ids or [])
        )
    return links, rollups, tagged


def test_new_subject_gets_what_a_fresh_import_would_give(db: Database) -> None:
    reference = _subject(db, "Delays", DELAYS)
    _import(db, [(reference, DELAYS)])
    later = _subject(db, "Delays later", DELAYS)
    assert _state(db, later) == ([], [], [])

    counts = run_backfill(db, subject_id=later, batch_size=7)

    expected = _state(db, reference)
    assert _state(db, later) == expected
    assert counts.scanned == 60
    assert counts.matched == len(expected[0]) > 0
    assert expected[1], "inbound matches produce rollups"
    outbound_links = len(expected[0]) - sum(r[3] for r in expected[1])  # type: ignore[misc]
    assert outbound_links > 0, "outbound posts are linked but stay out of the rollups"


def test_edited_query_drops_old_counts_and_rerun_changes_nothing(db: Database) -> None:
    delays = _subject(db, "Delays", DELAYS)
    brands = _subject(db, "Brands", BRANDS)
    _import(db, [(delays, DELAYS), (brands, BRANDS)])
    edited = _subject(db, "Edited", DELAYS)
    run_backfill(db, subject_id=edited)
    assert _state(db, edited) == _state(db, delays)

    with db.session() as s:
        row = s.get(Subject, edited)
        assert row is not None
        row.query = BRANDS
    run_backfill(db, subject_id=edited, batch_size=5)
    after_edit = _state(db, edited)
    assert after_edit == _state(db, brands)
    assert after_edit != _state(db, delays)

    run_backfill(db, subject_id=edited, batch_size=13)
    assert _state(db, edited) == after_edit
    # The other subjects were never touched.
    assert _state(db, delays)[0] and _state(db, brands) == after_edit


def test_links_the_pipeline_adds_during_a_backfill_are_not_counted_twice(db: Database) -> None:
    """A post stored by a worker (with its link and rollup) before the batch that covers
    it runs is seen as already linked, so the backfill adds nothing for it."""
    subject = _subject(db, "Delays", DELAYS)
    _import(db, [(subject, DELAYS)])
    expected = _state(db, subject)
    with db.session() as s:
        # Only the rollups go: the links already there must keep their counts.
        s.execute(MinuteRollup.__table__.delete().where(MinuteRollup.subject_id == subject))
    run_backfill(db, subject_id=subject)
    assert _state(db, subject) == expected


def test_unknown_subject_is_refused(db: Database) -> None:
    with pytest.raises(NotFoundError):
        run_backfill(db, subject_id=999)


def test_background_job_reports_progress(db: Database) -> None:
    reference = _subject(db, "Delays", DELAYS)
    _import(db, [(reference, DELAYS)])
    later = _subject(db, "Later", DELAYS)
    jobs = BackfillJobs(batch_size=10)
    assert jobs.status(db, later).state == "idle"
    jobs.start(db, later)
    status = jobs.wait(db, later)
    assert status.state == "done"
    assert (status.scanned, status.total, status.percent) == (60, 60, 100.0)
    assert _state(db, later) == _state(db, reference)
    missing = jobs.wait(db, 12345) if jobs.start(db, 12345) else None
    assert missing is not None and missing.state == "failed"
    assert missing.error and "not found" in missing.error
