"""Shared fixtures: databases (SQLite always; PostgreSQL when configured) and Redis.

PostgreSQL and Redis tests read ``GROUNDSWELL_TEST_POSTGRES_URL`` and
``GROUNDSWELL_TEST_REDIS_URL``; without them they skip and say why. CI exports both.
Each PostgreSQL test session works in its own freshly created database, so parallel
runs never see each other's rows; tables are emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.settings import Settings
from gs_testing import DATA_DIR, make_settings, truncate_all

PG_URL = os.environ.get("GROUNDSWELL_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("GROUNDSWELL_TEST_REDIS_URL")


def pytest_configure(config: pytest.Config) -> None:
    """In CI (``GROUNDSWELL_REQUIRE_SERVICES=1``) a missing service URL is an error, not a skip."""
    if os.environ.get("GROUNDSWELL_REQUIRE_SERVICES") == "1" and not (PG_URL and REDIS_URL):
        raise pytest.UsageError(
            "GROUNDSWELL_REQUIRE_SERVICES=1 but GROUNDSWELL_TEST_POSTGRES_URL or "
            "GROUNDSWELL_TEST_REDIS_URL is unset"
        )


def pytest_report_header() -> list[str]:
    return [
        f"postgres: {'yes' if PG_URL else 'no (set GROUNDSWELL_TEST_POSTGRES_URL)'}",
        f"redis: {'yes' if REDIS_URL else 'no (set GROUNDSWELL_TEST_REDIS_URL)'}",
        f"shared data: {DATA_DIR if DATA_DIR.exists() else 'missing'}",
    ]


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set GROUNDSWELL_TEST_POSTGRES_URL")
    admin = sa.create_engine(
        Settings(database_url=PG_URL).database_url, isolation_level="AUTOCOMMIT"
    )
    name = f"gs_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gs.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = str(request.getfixturevalue("pg_database_url"))
    db = Database(make_settings(url))
    truncate_all(db)
    db.dispose()
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis not configured: set GROUNDSWELL_TEST_REDIS_URL")
    return REDIS_URL
