"""Shared fixtures: databases (SQLite always; PostgreSQL when configured) and Redis.

PostgreSQL and Redis tests read ``GROUNDSWELL_TEST_POSTGRES_URL`` and
``GROUNDSWELL_TEST_REDIS_URL``; without them they skip and say why. CI exports both.
Each PostgreSQL test session works in its own freshly created database, so parallel
runs never see each other's rows; tables are emptied between tests.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.settings import Settings
from gs_testing import DATA_DIR, make_settings, migrated_sqlite_url, truncate_all

PG_URL = os.environ.get("GROUNDSWELL_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("GROUNDSWELL_TEST_REDIS_URL")


BROWSER_EXPECT_TIMEOUT_MS = 15_000
"""How long a browser assertion waits (Playwright's default is 5 s). The real app runs in
its own process beside the other test worker's; on two shared cores a page that takes a
few seconds is slow, not wrong, and a wait that long still fails on a real fault."""


def pytest_configure(config: pytest.Config) -> None:
    """In CI (``GROUNDSWELL_REQUIRE_SERVICES=1``) a missing service URL is an error, not a skip."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pass
    else:
        expect.set_options(timeout=BROWSER_EXPECT_TIMEOUT_MS)
    if os.environ.get("GROUNDSWELL_REQUIRE_SERVICES") == "1" and not (PG_URL and REDIS_URL):
        raise pytest.UsageError(
            "GROUNDSWELL_REQUIRE_SERVICES=1 but GROUNDSWELL_TEST_POSTGRES_URL or "
            "GROUNDSWELL_TEST_REDIS_URL is unset"
        )
    _cheap_password_hashing()
    _share_route_dependants()


def _cheap_password_hashing() -> None:
    """Hash the tests' passwords with argon2-cffi's ``CHEAPEST`` profile.

    The app's hasher (RFC 9106's low-memory profile: 64 MiB, three passes) costs about
    0.2 s a hash or a check on two shared cores, and hundreds of tests create users and
    log in: in the web tests it was over 40 % of their time. Test passwords guard
    nothing, and a hash carries its own parameters, so a server started by a test checks
    them just as cheaply. ``tests/unit/auth/test_password_hashing.py`` checks the app's
    own profile.
    """
    from argon2 import PasswordHasher, profiles

    from groundswell.auth import passwords, service

    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    service._DUMMY_HASH = passwords.hash_password("not a real password")


def _share_route_dependants() -> None:
    """Build each route's dependency tree once per test process, not once per app.

    FastAPI analyses every route's signature and dependencies lazily, on an app's first
    request: about 0.5–1 s for this app's routes on two shared cores. A running server
    pays it once; the tests build hundreds of apps and paid it in each (tests/unit/web:
    210 s -> 161 s on two workers without it). The tree depends only on the path, the
    endpoint and the route's dependency objects, which are the same functions and
    objects in every app built here, so they key the cache; the cache holds the
    dependency objects so their ids cannot be reused. Skipped if FastAPI renames the
    builder: the tests then only run slower.
    """
    import fastapi.routing as routing

    build = getattr(routing, "_build_dependant_with_parameterless_dependencies", None)
    if build is None:
        return
    built: dict[tuple[Any, ...], tuple[Any, list[Any]]] = {}

    def shared(*, path: str, call: Any, dependencies: Any) -> Any:
        key = (path, call, tuple(id(d) for d in dependencies))
        if key not in built:
            tree = build(path=path, call=call, dependencies=dependencies)
            built[key] = (tree, list(dependencies))
        return built[key][0]

    routing._build_dependant_with_parameterless_dependencies = shared


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Set aside every object still alive before pytest's last garbage collection.

    pytest collects garbage once more as it unconfigures, to report exceptions raised in
    finalizers. A test worker that ran the contract suite holds about 8 million objects
    by then (measured: 7.6 s for that collection), and pytest-xdist's execnet interrupts
    a worker still busy 5 s after the run ended, which printed a ``KeyboardInterrupt``
    warning at the end of CI runs. Frozen objects are skipped by the collector, so that
    last pass only looks at what unconfiguring itself creates; each test's own
    unraisable exceptions are still reported when the next test is set up.
    """
    gc.freeze()


SHARED_CORES_GROUP = "browser-and-cpu-heavy"
"""Browser tests each run the app and chromium; ``cpu_heavy`` tests keep several processes
busy. On two cores, two of them at once starve each other's servers for seconds, so they
share one xdist group: one worker runs them one after another while the other worker runs
the rest."""


def pytest_itemcollected(item: pytest.Item) -> None:
    """Marked as each item is collected, before pytest-xdist reads the groups."""
    if item.get_closest_marker("browser") or item.get_closest_marker("cpu_heavy"):
        item.add_marker(pytest.mark.xdist_group(SHARED_CORES_GROUP))


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
    return migrated_sqlite_url(tmp_path / "gs.db")


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
