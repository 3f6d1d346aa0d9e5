"""Bluesky through Jetstream end to end: a stand-in Jetstream over a real WebSocket, the PDS
stand-in for the brand's session and the authors' profiles, the real pipeline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from channels_testing import PipelineHarness
from groundswell.channels.base import Source
from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.bluesky.jetstream import JetstreamSource
from groundswell.channels.bluesky.jetstream_standin import JetstreamStandin
from groundswell.channels.bluesky.standin import BlueskyStandin, fake_did
from groundswell.channels.common.results import Polled
from groundswell.channels.errors import SourceError
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.models import ChannelSource
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.outbound import OutboundPolicy
from groundswell.ingestion.models import RejectedRecord
from groundswell.workers.connectors import ConnectorRunner
from gs_testing import migrated_sqlite_url

LOOPBACK = OutboundPolicy.from_setting("127.0.0.1")
"""What an admin who runs the stand-ins allows with ``GROUNDSWELL_OUTBOUND_ALLOW_HOSTS``."""


@pytest.fixture
def pds() -> Iterator[BlueskyStandin]:
    with BlueskyStandin(handle="acmeair.bsky.social") as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def jet(pds: BlueskyStandin) -> Iterator[JetstreamStandin]:
    with JetstreamStandin(pds) as server:
        yield server


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[PipelineHarness]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url)
    yield harness
    harness.close()


def make(pds: BlueskyStandin, jet: JetstreamStandin, **kw: object) -> JetstreamSource:
    config = BlueskyConfig(
        base_url=pds.url,
        identifier=pds.account_handle,
        app_password=pds.password,
        keywords=("acme air",),
    )
    kw.setdefault("outbound", LOOPBACK)  # the stand-ins listen on 127.0.0.1
    return JetstreamSource(BlueskyConnector(config), jet.url, window=0.3, **kw)  # type: ignore[arg-type]


def read_until(source: JetstreamSource, cursor: str | None, posts: int) -> list[Polled]:
    pages: list[Polled] = []
    for _ in range(30):
        page = source.fetch(cursor)
        pages.append(page)
        cursor = page.cursor
        if sum(len(p.posts) for p in pages) >= posts:
            break
    return pages


def test_is_a_source_and_subscribes_to_posts(pds: BlueskyStandin, jet: JetstreamStandin) -> None:
    source = make(pds, jet)
    assert isinstance(source, Source)
    page = source.fetch(None)
    source.close()
    (query,) = jet.subscriptions
    assert query["wantedCollections"] == ["app.bsky.feed.post"]
    # No cursor yet: it starts from the moment it connected (a few seconds rewound) and
    # hands that back, so a reconnect before the first event loses nothing.
    assert page.cursor is not None
    assert query["cursor"] == [str(int(page.cursor) - 5_000_000)]


def test_a_drop_before_the_first_event_loses_nothing(
    pds: BlueskyStandin, jet: JetstreamStandin
) -> None:
    source = make(pds, jet)
    first = source.fetch(None)
    jet.drop()
    jet.post("ana.bsky.social", "@acmeair posted while we were away", mention=pds.did)
    pages = read_until(source, first.cursor, 1)
    source.close()
    assert [p["text"] for page in pages for p in page.posts] == [
        "@acmeair posted while we were away"
    ]


def test_live_mentions_stored_with_identity_and_thread(
    pds: BlueskyStandin, jet: JetstreamStandin, pipeline: PipelineHarness
) -> None:
    source = make(pds, jet)
    assert source.fetch(None).posts == []  # connected at the live tail
    first = jet.post("ana.bsky.social", "@acmeair my flight was cancelled", mention=pds.did)
    jet.post("bo.bsky.social", "@acmeair same here", reply_to=first, mention=pds.did)
    jet.post("cy.bsky.social", "Acme Air lost my bag again")
    jet.post("dee.bsky.social", "good morning everyone")
    ours = jet.post("acmeair.bsky.social", "@ana we are on it", reply_to=first)
    jet.post("ana.bsky.social", "thanks, waiting", reply_to=ours)
    jet.post("eve.bsky.social", "liked", collection="app.bsky.feed.like")
    pages = read_until(source, None, 4)
    source.close()
    posts = [p for page in pages for p in page.posts]
    assert pipeline.store(posts) == 4
    assert sum(p.ignored for p in pages) == 2  # the unrelated post and our own reply
    rows = {r.text: r for r in pipeline.interactions()}
    child = rows["@acmeair same here"]
    assert child.reply_to_external_id == first["uri"]
    assert child.conversation_id == rows["@acmeair my flight was cancelled"].conversation_id
    assert rows["thanks, waiting"].reply_to_external_id == ours["uri"]
    identity = pipeline.identity_of(child)
    assert identity.external_id == fake_did("bo.bsky.social")
    assert identity.handle == "@bo.bsky.social"
    assert identity.display_name == "Bo"
    assert pages[-1].cursor == str(jet.events[-2][0])  # the like is not sent


def test_without_profiles_the_handle_comes_from_identity_events(
    pds: BlueskyStandin, jet: JetstreamStandin, pipeline: PipelineHarness
) -> None:
    pds.hide_profiles = True
    jet.identity("ana.bsky.social")
    jet.post("ana.bsky.social", "@acmeair hello", mention=pds.did)
    jet.post("bo.bsky.social", "@acmeair hi", mention=pds.did)
    source = make(pds, jet)
    posts = [p for page in read_until(source, "1", 2) for p in page.posts]
    source.close()
    assert pipeline.store(posts) == 2
    handles = {r.text: pipeline.identity_of(r).handle for r in pipeline.interactions()}
    assert handles == {"@acmeair hello": "@ana.bsky.social", "@acmeair hi": None}


def test_restart_mid_stream_resumes_without_loss_or_duplicates(
    pds: BlueskyStandin, jet: JetstreamStandin, pipeline: PipelineHarness
) -> None:
    for i in range(10):
        jet.post("ana.bsky.social", f"@acmeair note {i}", mention=pds.did)
    first = make(pds, jet, batch=4)
    page = first.fetch("1")
    assert len(page.posts) == 4
    pipeline.store(page.posts)
    saved = page.cursor
    first.fetch(saved)  # read but never published nor saved: the process dies here
    first.close()
    for i in range(10, 15):
        jet.post("ana.bsky.social", f"@acmeair note {i}", mention=pds.did)
    restarted = make(pds, jet)
    pages = read_until(restarted, saved, 11)
    for got in pages:
        pipeline.store(got.posts)
    # Jetstream drops the connection; the source reconnects from its latest cursor.
    jet.drop()
    jet.post("ana.bsky.social", "@acmeair note 15", mention=pds.did)
    for got in read_until(restarted, pages[-1].cursor, 1):
        pipeline.store(got.posts)
    restarted.close()
    texts = [r.text for r in pipeline.interactions()]
    assert sorted(texts) == sorted(f"@acmeair note {i}" for i in range(16))
    assert jet.subscriptions[-1]["cursor"] == [str(int(pages[-1].cursor or 0) - 5_000_000)]


def test_runner_dead_letters_malformed_events_and_keeps_reading(
    tmp_path: Path, pds: BlueskyStandin, jet: JetstreamStandin
) -> None:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url, outbound_allow_hosts="127.0.0.1")
    with harness.db.session() as s:
        service.create_account(
            s,
            settings=harness.settings,
            data=AccountIn(
                kind="bluesky",
                key="bluesky",
                name="Bluesky",
                settings={
                    "base_url": pds.url,
                    "identifier": pds.account_handle,
                    "app_password": pds.password,
                    "jetstream_url": jet.url,
                    "poll_seconds": 3600,
                },
            ),
        )
    runner = ConnectorRunner(
        harness.settings, harness.db, MemoryBroker(), owner="t", registry=ConnectorRegistry()
    )
    runner.refresh(start_threads=False)
    try:
        assert runner.cycle("bluesky", "jetstream").outcome == "idle"  # at the live tail
        jet.raw("{not json")
        jet.raw('{"did": "did:plc:abcdefgh", "kind": "commit", "time_us": -4}')
        jet.post("ana.bsky.social", "@acmeair still here", mention=pds.did)
        total = (0, 0)
        for _ in range(20):
            cycle = runner.cycle("bluesky", "jetstream")
            total = (total[0] + cycle.posts, total[1] + cycle.rejected)
            if total[0]:
                break
        assert total == (1, 2)
        with harness.db.session() as s:
            reasons = [r.reason for r in s.scalars(select(RejectedRecord))]
            row = s.scalar(select(ChannelSource).where(ChannelSource.name == "jetstream"))
            assert row is not None and row.cursor == str(jet.events[-1][0])
        assert any(r.startswith("malformed JSON") for r in reasons)
        assert any(r.startswith("time_us: ") for r in reasons)
    finally:
        runner.stop()
        harness.close()


def test_backfill_replays_a_period_and_stops_at_now(
    pds: BlueskyStandin, jet: JetstreamStandin, pipeline: PipelineHarness
) -> None:
    from datetime import UTC, datetime

    jet.post("ana.bsky.social", "@acmeair long ago", mention=pds.did)
    since = datetime.now(UTC)
    time.sleep(0.01)
    for i in range(5):
        jet.post("ana.bsky.social", f"@acmeair replayed {i}", mention=pds.did)
        jet.post("bo.bsky.social", "nothing to do with us")
    time.sleep(0.01)
    batches = list(make(pds, jet, batch=2).backfill(since))
    assert [len(b) for b in batches] == [2, 2, 1]
    texts = [p["text"] for batch in batches for p in batch]
    assert texts == [f"@acmeair replayed {i}" for i in range(5)]
    assert pipeline.store([p for batch in batches for p in batch]) == 5


def test_unreachable_jetstream_is_a_retryable_source_error(pds: BlueskyStandin) -> None:
    config = BlueskyConfig(
        base_url=pds.url, identifier=pds.account_handle, app_password=pds.password
    )
    source = JetstreamSource(
        BlueskyConnector(config), "ws://127.0.0.1:9", open_timeout=2, outbound=LOOPBACK
    )
    with pytest.raises(SourceError) as err:
        source.fetch(None)
    assert err.value.retryable and "jetstream unavailable" in err.value.reason
