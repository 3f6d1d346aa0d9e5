"""Who runs a sync: the worker loop when a connection is due, and ``groundswell crm-sync run``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crm_sync_world import LOCAL, connect_salesforce, make_customer
from groundswell.cli import app
from groundswell.core.db import Database
from groundswell.crmsync import service
from groundswell.crmsync.models import CrmConnection
from groundswell.crmsync.schemas import ConnectionIn
from groundswell.demo.crm_standins import SalesforceStandin
from groundswell.settings import Settings, get_settings
from groundswell.workers.crm_sync_loop import CrmSyncLoop
from gs_testing import make_settings


@pytest.fixture
def sf() -> Iterator[SalesforceStandin]:
    with SalesforceStandin() as server:
        yield server  # type: ignore[misc]


def test_the_loop_runs_a_connection_when_it_is_due(
    database_url: str, sf: SalesforceStandin
) -> None:
    settings = make_settings(database_url, outbound_allow_hosts="127.0.0.1")
    db = Database(settings)
    try:
        make_customer(db)
        connect_salesforce(db, settings, sf)
        loop = CrmSyncLoop(settings, db)
        (first,) = loop.run_due()
        assert (first.status, first.pushed) == ("ok", 4)
        assert loop.run_due() == []  # next one is an interval away
        with db.session() as s:
            connection = s.scalars(select(CrmConnection)).one()
            assert connection.next_attempt_at is not None
            assert connection.last_sync_at is not None
            assert connection.next_attempt_at > connection.last_sync_at
    finally:
        db.dispose()


def test_refused_credentials_need_reauth_and_say_so_without_the_secret(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    with db.session() as s:
        service.create_connection(
            s,
            settings=settings,
            policy=LOCAL,
            data=ConnectionIn(
                name="SF",
                system="salesforce",
                base_url=sf.url,
                client_id=sf.client_id,
                client_secret="wrong-secret-4242",
            ),
        )
    make_customer(db)
    loop = CrmSyncLoop(settings, db)
    loop.runner.policy = LOCAL
    (report,) = loop.run_due()
    assert report.status == "needs_reauth"
    assert "invalid client credentials" in (report.detail or "")
    with db.session() as s:
        connection = s.scalars(select(CrmConnection)).one()
        assert "wrong-secret-4242" not in (connection.last_error or "")
        assert connection.credentials and "wrong-secret-4242" not in connection.credentials


def test_unallowed_address_is_refused_before_any_request(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    """Saved while allowed, then the allow-list changed: every request is checked again."""
    connect_salesforce(db, settings, sf)
    make_customer(db)
    before = len(sf.requests)
    strict = settings.model_copy(update={"outbound_allow_hosts": ""})  # no private host
    (report,) = CrmSyncLoop(strict, db).run_due()
    assert report.status == "error"
    assert "outbound guard" in (report.detail or "")
    assert len(sf.requests) == before


def test_the_command_syncs_and_prints_what_moved(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, sf: SalesforceStandin
) -> None:
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GROUNDSWELL_OUTBOUND_ALLOW_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    try:
        from groundswell.core.migrate import upgrade

        upgrade(sqlite_url)
        settings = get_settings()
        db = Database(settings)
        make_customer(db)
        connect_salesforce(db, settings, sf)
        db.dispose()
        result = CliRunner().invoke(app, ["crm-sync", "run"])
        assert result.exit_code == 0, result.output
        assert "Salesforce: ok · pushed 4" in result.output
        again = CliRunner().invoke(app, ["crm-sync", "run"])
        assert "pushed 0" in again.output
        assert sf.client_secret not in result.output + again.output
    finally:
        get_settings.cache_clear()
