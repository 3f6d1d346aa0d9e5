"""``jetstream_url`` passes the outbound guard: when saved, when the connection is tested
and before the source connects. A refused host is an error naming the field, and the
Jetstream stand-in (on 127.0.0.1, which no admin allowed here) never sees a connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.bluesky.jetstream import JetstreamSource
from groundswell.channels.bluesky.jetstream_standin import JetstreamStandin
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.errors import SourceError
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn, AccountUpdate
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from groundswell.workers.connectors import test_connection as check_connection
from gs_testing import make_settings, migrated_sqlite_url

LOOPBACK = OutboundPolicy.from_setting("127.0.0.1,localhost")


@pytest.fixture
def pds() -> Iterator[BlueskyStandin]:
    with BlueskyStandin(handle="acmeair.bsky.social") as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def jet(pds: BlueskyStandin) -> Iterator[JetstreamStandin]:
    with JetstreamStandin(pds) as server:
        yield server


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """Settings whose allow-list holds only the PDS's name."""
    url = migrated_sqlite_url(tmp_path / "gs.db")
    # The PDS stand-in is allowed by name (its URL says localhost); the loopback address
    # the Jetstream URLs use is not.
    settings = make_settings(url, outbound_allow_hosts="localhost")
    db = Database(settings)
    yield settings, db
    db.dispose()


def values(pds: BlueskyStandin, jetstream_url: str | None) -> dict[str, object]:
    return {
        "base_url": pds.url.replace("127.0.0.1", "localhost"),
        "identifier": pds.account_handle,
        "app_password": pds.password,
        "jetstream_url": jetstream_url,
        "poll_seconds": 3600,
    }


def test_the_source_refuses_before_connecting(pds: BlueskyStandin, jet: JetstreamStandin) -> None:
    config = BlueskyConfig(
        base_url=pds.url, identifier=pds.account_handle, app_password=pds.password
    )
    source = JetstreamSource(BlueskyConnector(config), jet.url, window=0.3)  # no allow-list
    with pytest.raises(SourceError) as err:
        source.fetch(None)
    assert not err.value.retryable
    assert err.value.reason.startswith("jetstream_url: ")
    assert (
        "non-public" in err.value.reason and "GROUNDSWELL_OUTBOUND_ALLOW_HOSTS" in err.value.reason
    )
    with pytest.raises(SourceError, match=r"^jetstream_url: "):
        next(iter(source.backfill(datetime.now(UTC) - timedelta(minutes=1))))
    assert jet.subscriptions == []
    allowed = JetstreamSource(BlueskyConnector(config), jet.url, window=0.3, outbound=LOOPBACK)
    allowed.fetch(None)
    allowed.close()
    assert len(jet.subscriptions) == 1


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:6008/subscribe", "wss://10.1.2.3/subscribe", "wss://[::1]/subscribe"]
)
def test_saving_a_refused_url_names_the_field(
    strict: tuple[Settings, Database], pds: BlueskyStandin, url: str
) -> None:
    settings, db = strict
    with db.session() as s, pytest.raises(service.AccountInvalid) as err:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="bluesky", key="bluesky", name="B", settings=values(pds, url)),
        )
    assert err.value.field == "settings.jetstream_url"
    assert str(err.value).startswith("settings.jetstream_url: ")


def test_an_update_to_a_refused_url_is_refused_and_an_allowed_host_is_saved(
    strict: tuple[Settings, Database], pds: BlueskyStandin
) -> None:
    settings, db = strict
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="bluesky", key="bluesky", name="B", settings=values(pds, None)),
        )
        with pytest.raises(service.AccountInvalid) as err:
            service.update_account(
                s,
                settings=settings,
                key="bluesky",
                data=AccountUpdate(settings={"jetstream_url": "ws://169.254.169.254/subscribe"}),
            )
        assert err.value.field == "settings.jetstream_url"
        allowing = make_settings(settings.database_url, outbound_allow_hosts="localhost,127.0.0.1")
        out = service.update_account(
            s,
            settings=allowing,
            key="bluesky",
            data=AccountUpdate(settings={"jetstream_url": "ws://127.0.0.1:6008/subscribe"}),
        )
        assert out.config["jetstream_url"] == "ws://127.0.0.1:6008/subscribe"


def test_test_connection_and_the_runner_report_the_refusal_without_connecting(
    strict: tuple[Settings, Database], pds: BlueskyStandin, jet: JetstreamStandin
) -> None:
    settings, db = strict
    with db.session() as s:  # saved while the host was allowed; the allow-list changed since
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="bluesky", key="bluesky", name="B", settings=values(pds, jet.url)),
            policy=LOOPBACK,
        )
    ok, detail = check_connection(settings, db, "bluesky")
    assert not ok and detail.startswith("jetstream_url: ") and "non-public" in detail
    runner = ConnectorRunner(settings, db, MemoryBroker(), owner="t", registry=ConnectorRegistry())
    runner.refresh(start_threads=False)
    try:
        cycle = runner.cycle("bluesky", "jetstream")
        assert cycle.outcome == "error"
        assert cycle.detail is not None and cycle.detail.startswith("jetstream_url: ")
        assert runner.cycle("bluesky", "jetstream").outcome == "waiting"  # not retried at once
        with db.session() as s:
            account = service.get_account(s, key="bluesky")
            assert account.status == "error"
            assert (account.status_detail or "").startswith("jetstream_url: ")
    finally:
        runner.stop()
    assert jet.subscriptions == []
