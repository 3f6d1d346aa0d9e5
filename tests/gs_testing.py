"""Helpers shared by tests, importable as ``gs_testing`` from any test folder.

Kept out of conftest.py because ``from conftest import …`` resolves to whichever
conftest pytest imported last once sub-folders have their own.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.all_models import load_all_models
from groundswell.core.db import Database
from groundswell.notify import events
from groundswell.settings import Settings

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_data(*parts: str) -> Path:
    """Path of a shared data set file, or skip the test saying where it was looked for."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        if os.environ.get("GROUNDSWELL_REQUIRE_SERVICES") == "1":
            pytest.fail(f"data set not found at {path} (GROUNDSWELL_REQUIRE_SERVICES=1)")
        pytest.skip(f"data set not found at {path}")
    return path


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings; sentiment is the lexicon unless a test asks for the model.

    Enrichment runs in the worker's own process unless a test asks for the child process
    (tests/integration/test_enrich_process.py): hundreds of short-lived stages would
    each start one.

    Storage and workflow tests assert exact labels, which the deterministic lexicon
    gives; the model has its own tests (tests/unit/enrichment/test_model_*.py).
    """
    return Settings(
        database_url=database_url,
        broker_url=str(overrides.pop("broker_url", "memory://")),
        sentiment=str(overrides.pop("sentiment", "lexicon")),
        enrichment_process=bool(overrides.pop("enrichment_process", False)),
        # The networks' stand-ins listen on loopback, as an admin would allow a local
        # server; tests of the guard itself pass their own list ("" refuses loopback).
        outbound_allow_hosts=str(overrides.pop("outbound_allow_hosts", "127.0.0.1")),
        environment="test",
        stream_prefix=f"t{uuid.uuid4().hex[:10]}",
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )


def truncate_all(db: Database) -> None:
    meta = load_all_models().metadata
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            # DELETE in dependency order, then every sequence back to 1: what TRUNCATE
            # ... RESTART IDENTITY gives, in a sixth of its time on the few rows a test
            # leaves (TRUNCATE makes new files for every table, 0.13 s for 64 tables).
            for table in reversed(meta.sorted_tables):
                conn.execute(table.delete())
            conn.execute(
                sa.text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )
        else:
            for table in reversed(meta.sorted_tables):
                conn.execute(table.delete())
    # Webhook subscriptions are cached per database URL: a truncated one has none.
    events.invalidate_cache()


_TEMPLATE: dict[str, Path] = {}


def migrated_sqlite_url(path: Path) -> str:
    """A fully migrated SQLite database at ``path``, copied from a template.

    Running the whole Alembic history takes about a second per database; hundreds of
    tests each need a fresh one. The history runs once per process into a template
    (tests/unit/test_migrations*.py still run it step by step), and each test gets a
    page-for-page copy made with SQLite's online backup API, so no WAL file is missed.
    """
    import sqlite3
    import tempfile

    from groundswell.core.migrate import upgrade

    template = _TEMPLATE.get("head")
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="gs-template-"))
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        _TEMPLATE["head"] = template
    source = sqlite3.connect(template)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return f"sqlite:///{path}"
