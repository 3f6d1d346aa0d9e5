"""What every benchmark run shares: explicit settings, fresh databases, row counts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, func, select, text

from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.crm.models import Interaction
from groundswell.demo.setup import ensure_demo_subjects
from groundswell.listening.models import Subject
from groundswell.settings import Settings

PG_ADMIN_URL = (
    os.environ.get("GROUNDSWELL_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
    .replace("postgresql://", "postgresql+psycopg://", 1)
    .replace("postgres://", "postgresql+psycopg://", 1)
)
"""A database the bench can connect to in order to create and drop its ``gs_bench_*`` ones;
the same variables as the integration tests, so CI needs no extra set-up."""
REDIS_URL = os.environ.get("GROUNDSWELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def bench_settings(
    database_url: str, broker_url: str = "memory://", prefix: str = "gs"
) -> Settings:
    """Explicit settings, so a stray ``.env`` or shell variable cannot change the run."""
    return Settings(
        database_url=database_url,
        broker_url=broker_url,
        stream_prefix=prefix,
        sentiment=sentiment_mode(),
        _env_file=None,
    )


def sentiment_mode() -> Literal["lexicon", "model"]:
    """The mode under test: ``--sentiment`` sets it for this process and worker processes."""
    return "model" if os.environ.get("GROUNDSWELL_SENTIMENT") == "model" else "lexicon"


def fresh_sqlite(path: Path) -> str:
    """A new migrated SQLite file; the demo subjects make subject matching do real work."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    prepare_schema(url)
    return url


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def create_pg_database(name: str) -> str:
    """Drop and create ``name`` (always a ``gs_bench_*`` name) and migrate it."""
    if not name.startswith("gs_bench_"):
        raise ValueError("benchmark databases are named gs_bench_*")
    drop_pg_database(name)
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = pg_url(name)
    prepare_schema(url)
    return url


def drop_pg_database(name: str) -> None:
    if not name.startswith("gs_bench_"):
        raise ValueError("benchmark databases are named gs_bench_*")
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def prepare_schema(url: str) -> None:
    """Migrate and add the demo's nine subjects (brands and topics)."""
    upgrade(url)
    db = Database(bench_settings(url))
    ensure_demo_subjects(db)
    db.dispose()


def subjects_of(url: str) -> list[tuple[int, str]]:
    db = Database(bench_settings(url))
    with db.session() as session:
        rows = session.execute(
            select(Subject.id, Subject.query).where(Subject.active.is_(True))
        ).all()
    db.dispose()
    return [(int(i), str(q)) for i, q in rows]


def count_interactions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Interaction)) or 0)
