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

    Storage and workflow tests assert exact labels, which the deterministic lexicon
    gives; the model has its own tests (tests/unit/enrichment/test_model_*.py).
    """
    return Settings(
        database_url=database_url,
        broker_url=str(overrides.pop("broker_url", "memory://")),
        sentiment=str(overrides.pop("sentiment", "lexicon")),
        environment="test",
        stream_prefix=f"t{uuid.uuid4().hex[:10]}",
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )


def truncate_all(db: Database) -> None:
    meta = load_all_models().metadata
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            names = ", ".join(t.name for t in meta.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(meta.sorted_tables):
                conn.execute(table.delete())
    # Webhook subscriptions are cached per database URL: a truncated one has none.
    events.invalidate_cache()
