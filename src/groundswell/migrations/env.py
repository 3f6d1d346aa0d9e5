"""Alembic environment: one history for SQLite and PostgreSQL.

SQLite runs in batch mode so ALTERs work there too. The URL comes from the Alembic
config (set by ``groundswell migrate``) or, failing that, from the settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from groundswell.all_models import load_all_models
from groundswell.core.db import make_engine
from groundswell.settings import get_settings

config = context.config
target_metadata = load_all_models().metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
