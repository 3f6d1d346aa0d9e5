"""The one Alembic history: it builds what the models declare, and it runs both ways.

Most tests copy a migrated template (gs_testing.migrated_sqlite_url), so the history
itself is checked here, on a fresh database of each store: upgrade to head gives exactly
the tables, columns, indexes and constraints of the models (autogenerate finds nothing to
do), and downgrading to nothing then upgrading again ends in the same place.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from groundswell.all_models import load_all_models
from groundswell.core.migrate import downgrade, upgrade
from groundswell.settings import Settings

PG_URL = os.environ.get("GROUNDSWELL_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set GROUNDSWELL_TEST_POSTGRES_URL")
    admin = sa.create_engine(
        Settings(database_url=PG_URL).database_url, isolation_level="AUTOCOMMIT"
    )
    name = f"gs_history_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def differences(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                compare_metadata(MigrationContext.configure(conn), load_all_models().metadata)
            )
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_history_builds_the_models_and_runs_both_ways(empty_url: str) -> None:
    upgrade(empty_url)
    assert differences(empty_url) == []
    built = tables(empty_url)
    assert "interactions" in built

    downgrade(empty_url, "base")
    assert tables(empty_url) == set()

    upgrade(empty_url)
    assert tables(empty_url) == built
    assert differences(empty_url) == []
