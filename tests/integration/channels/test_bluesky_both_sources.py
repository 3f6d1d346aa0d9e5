"""A Bluesky post that both the notifications source and Jetstream deliver (the same
``at://`` URI) is published to the broker once, whichever source reads it first, and
stored once; a publish that fails does not make the post look published."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from channels_testing import PipelineHarness
from groundswell.channels.bluesky.jetstream_standin import JetstreamStandin
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.common.recent import RecentKeys
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.crm.models import Interaction
from groundswell.ingestion.service import posts_stream
from groundswell.workers.connectors import ConnectorRunner, Cycle
from groundswell.workers.loops import process_loop
from gs_testing import migrated_sqlite_url


class CountingBroker(MemoryBroker):
    """Counts what is published to each stream; ``fail`` makes the next publishes raise."""

    def __init__(self) -> None:
        super().__init__()
        self.published: dict[str, list[bytes]] = {}
        self.fail = 0

    def publish(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("broker unavailable")
        self.published.setdefault(stream, []).extend(payloads)
        return super().publish(stream, payloads, maxlen=maxlen)


@pytest.fixture
def pds() -> Iterator[BlueskyStandin]:
    with BlueskyStandin(handle="acmeair.bsky.social") as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def jet(pds: BlueskyStandin) -> Iterator[JetstreamStandin]:
    with JetstreamStandin(pds) as server:
        yield server


@pytest.fixture
def world(
    tmp_path: Path, pds: BlueskyStandin, jet: JetstreamStandin
) -> Iterator[tuple[PipelineHarness, ConnectorRunner, CountingBroker]]:
    url = migrated_sqlite_url(tmp_path / "gs.db")
    harness = PipelineHarness(url, outbound_allow_hosts="127.0.0.1")  # the stand-ins' host
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
    broker = CountingBroker()
    runner = ConnectorRunner(
        harness.settings, harness.db, broker, owner="t", registry=ConnectorRegistry()
    )
    runner.refresh(start_threads=False)
    try:
        yield harness, runner, broker
    finally:
        runner.stop()
        harness.close()


def jetstream(runner: ConnectorRunner, until: int) -> list[Cycle]:
    """Read the firehose until ``until`` posts were seen (published or repeats)."""
    cycles: list[Cycle] = []
    for _ in range(30):
        cycles.append(runner.cycle("bluesky", "jetstream"))
        if sum(c.posts + c.repeats for c in cycles) >= until:
            break
    return cycles


def published_uris(harness: PipelineHarness, broker: CountingBroker) -> list[str]:
    payloads = broker.published.get(posts_stream(harness.settings), [])
    return [str(orjson.loads(p)["external_id"]) for p in payloads]


def test_a_post_read_by_both_sources_is_published_and_stored_once(
    world: tuple[PipelineHarness, ConnectorRunner, CountingBroker],
    pds: BlueskyStandin,
    jet: JetstreamStandin,
) -> None:
    harness, runner, broker = world
    assert runner.cycle("bluesky", "jetstream").outcome == "idle"  # at the live tail

    # notifications first, then the firehose brings the same post
    first = pds.post("ana.bsky.social", "@acmeair my bag is lost")
    jet.relay(first, mention=pds.did)
    notified = runner.cycle("bluesky", "notifications")
    assert (notified.outcome, notified.posts) == ("published", 1)
    streamed = jetstream(runner, 1)
    assert sum(c.posts for c in streamed) == 0 and sum(c.repeats for c in streamed) == 1

    # the firehose first, then the notification of the same post
    second = pds.post("bo.bsky.social", "@acmeair still no bag", reply_to=first["uri"])
    jet.relay(second, mention=pds.did)
    streamed = jetstream(runner, 1)
    assert sum(c.posts for c in streamed) == 1
    late = runner.cycle("bluesky", "notifications")
    assert (late.outcome, late.posts, late.repeats) == ("idle", 0, 1)

    assert published_uris(harness, broker) == [first["uri"], second["uri"]]

    process, _ = process_loop(harness.settings, harness.db, broker, consumer="p")
    process.drain()
    with harness.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 2
        stored = {i.external_id: i for i in s.scalars(select(Interaction))}
        assert stored[second["uri"]].reply_to_external_id == first["uri"]


def test_a_failed_publish_leaves_the_post_to_be_published_later(
    world: tuple[PipelineHarness, ConnectorRunner, CountingBroker],
    pds: BlueskyStandin,
    jet: JetstreamStandin,
) -> None:
    harness, runner, broker = world
    assert runner.cycle("bluesky", "jetstream").outcome == "idle"
    view = pds.post("cy.bsky.social", "@acmeair where is my refund?")
    jet.relay(view, mention=pds.did)
    broker.fail = 1
    with pytest.raises(ConnectionError):
        runner.cycle("bluesky", "notifications")  # read, not published, cursor not saved
    streamed = jetstream(runner, 1)  # the firehose still publishes it
    assert sum(c.posts for c in streamed) == 1
    again = runner.cycle("bluesky", "notifications")  # re-read from the same cursor
    assert (again.posts, again.repeats) == (0, 1)
    assert published_uris(harness, broker) == [view["uri"]]


def test_recent_keys_are_bounded_claimed_once_and_released() -> None:
    recent = RecentKeys(limit=3)
    assert recent.claim(["a", "b", "a"]) == {"a", "b"}
    assert recent.claim(["b", "c"]) == {"c"}
    recent.release(["c"])
    assert "c" not in recent and recent.claim(["c"]) == {"c"}
    assert recent.claim(["d"]) == {"d"}  # the oldest ("a") is forgotten
    assert len(recent) == 3 and "a" not in recent
    with pytest.raises(ValueError, match="limit"):
        RecentKeys(limit=0)
