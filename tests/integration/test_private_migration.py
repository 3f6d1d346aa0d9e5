"""Migration 0024 adds the per-message private flag and backfills it so that nothing once
hidden becomes visible, and the DMs stored before it (Messenger, Mastodon ``direct``, X)
become private; on SQLite and PostgreSQL, and it downgrades."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from groundswell.channels.models import Channel
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.core.base import JSONType
from groundswell.core.db import Database
from groundswell.core.migrate import downgrade, upgrade
from gs_testing import make_settings

T0 = datetime(2026, 1, 5, tzinfo=UTC)

# The interactions table as revision 0023 has it (no ``private`` column yet).
OLD_INTERACTIONS = sa.table(
    "interactions",
    sa.column("channel_id", sa.Integer),
    sa.column("external_id", sa.String),
    sa.column("direction", sa.String),
    sa.column("text", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("ingested_at", sa.DateTime(timezone=True)),
    sa.column("likes", sa.Integer),
    sa.column("shares", sa.Integer),
    sa.column("replies", sa.Integer),
    sa.column("subject_ids", JSONType),
    sa.column("entities", JSONType),
    sa.column("influence", sa.Float),
    sa.column("enrichment_versions", JSONType),
    sa.column("raw", JSONType),
)


def _row(channel_id: int, ext: str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "external_id": ext,
        "direction": "in",
        "text": f"text {ext}",
        "created_at": T0,
        "ingested_at": T0,
        "likes": 0,
        "shares": 0,
        "replies": 0,
        "subject_ids": [],
        "entities": {},
        "influence": 0.0,
        "enrichment_versions": {},
        "raw": raw,
    }


def test_the_migration_backfills_the_private_flag(database_url: str) -> None:
    downgrade(database_url, "0023")
    try:
        db = Database(make_settings(database_url))
        with db.session() as s:
            channels = {
                key: Channel(key=key, name=key)
                for key in ("email", "sms", "facebook", "mastodon", "twitter", "support-mail")
            }
            s.add_all(channels.values())
            s.add(ChannelAccount(key="support-mail", kind="email", name="Support"))
            s.flush()
            ids = {key: c.id for key, c in channels.items()}
        with db.engine.begin() as conn:
            assert "private" not in {
                c["name"] for c in sa.inspect(conn).get_columns("interactions")
            }
            conn.execute(
                OLD_INTERACTIONS.insert(),
                [
                    _row(ids["email"], "mail"),
                    _row(ids["sms"], "text-message"),
                    _row(ids["support-mail"], "renamed-mailbox"),
                    _row(ids["facebook"], "comment", {"kind": "comment", "post_id": "1"}),
                    _row(ids["facebook"], "messenger", {"kind": "message", "page": "1"}),
                    _row(ids["mastodon"], "toot", {"visibility": "public"}),
                    _row(ids["mastodon"], "unlisted", {"visibility": "unlisted"}),
                    _row(ids["mastodon"], "direct", {"visibility": "direct"}),
                    _row(ids["twitter"], "tweet", {"lang": "en"}),
                    _row(ids["twitter"], "x-dm", {"private": True, "dm_conversation_id": "1"}),
                    _row(ids["twitter"], "no-raw"),
                ],
            )
        upgrade(database_url)
        with db.engine.connect() as conn:
            flags = {
                ext: bool(private)
                for ext, private in conn.execute(
                    sa.text("SELECT external_id, private FROM interactions")
                )
            }
        assert flags == {
            "mail": True,
            "text-message": True,
            "renamed-mailbox": True,
            "comment": False,
            "messenger": True,
            "toot": False,
            "unlisted": False,
            "direct": True,
            "tweet": False,
            "x-dm": True,
            "no-raw": False,
        }
        with db.engine.begin() as conn:  # new rows default to public
            conn.execute(OLD_INTERACTIONS.insert(), [_row(ids["twitter"], "later")])
            later = conn.scalar(
                sa.text("SELECT private FROM interactions WHERE external_id = 'later'")
            )
        assert bool(later) is False
        downgrade(database_url, "0023")
        with db.engine.connect() as conn:
            assert "private" not in {
                c["name"] for c in sa.inspect(conn).get_columns("interactions")
            }
        db.dispose()
    finally:
        upgrade(database_url)
