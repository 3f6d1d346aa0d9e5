"""The driver-level interactions insert on SQLite stores exactly what the ORM path stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from groundswell.core.db import Database
from groundswell.crm import remember
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Interaction
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost
from gs_testing import make_settings, migrated_sqlite_url

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
RAW = {"nested": {"k": [1, 2.5, None, True]}, "t": "\u00fc\u00df"}


def _items(count: int, prefix: str = "p") -> list[tuple[InboundPost, Enrichment]]:
    out = []
    for i in range(count):
        post = InboundPost.model_validate(
            {
                "channel": "twitter" if i % 3 else "email",
                "external_id": f"{prefix}{i}",
                "direction": "out" if i % 7 == 0 else "in",
                "text": f"caf\u00e9 \U0001f600 <b>&amp;</b> '; DROP TABLE x; -- {i}",
                "created_at": (T0 + timedelta(seconds=37 * i)).isoformat(),
                "author": {"external_id": f"a{i % 11}", "handle": f"h{i % 11}"},
                "url": None if i % 2 else f"https://example.com/{i}",
                "private": i % 5 == 0,
                "engagement": {"likes": i, "shares": 0, "replies": 2},
                "raw": RAW if i % 4 else {},
            }
        )
        enrichment = Enrichment(
            language=Language("en", 0.9),
            sentiment=Sentiment(-0.25 * (i % 5), "negative" if i % 2 else "neutral", 0.75),
            entities=Entities(emails=(f"x{i}@example.com",) if i % 6 == 0 else ()),
            influence=0.5 * i,
            subject_ids=(),
            intent="complaint" if i % 2 else None,
            intents={"complaint": 0.8} if i % 2 else {},
            flags=("unreadable",) if i % 9 == 0 else (),
            versions={"sentiment": "test", "language": "x"},
        )
        out.append((post, enrichment))
    return out


def _stored(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = (
            conn.exec_driver_sql("SELECT * FROM interactions ORDER BY external_id").mappings().all()
        )
    # ids and the time of storing differ between two runs; every other byte must not.
    return [tuple(v for k, v in row.items() if k not in {"id", "ingested_at"}) for row in rows]


def _remember(db: Database, items: list[tuple[InboundPost, Enrichment]]) -> int:
    with db.session(write=True) as session:
        result = remember_batch(session, items=items, channels=ChannelIds())
    return len(result.stored)


def test_driver_insert_stores_what_the_orm_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items(60)
    fast = Database(make_settings(migrated_sqlite_url(tmp_path / "fast.db")))
    slow = Database(make_settings(migrated_sqlite_url(tmp_path / "slow.db")))
    assert _remember(fast, items) == 60
    with monkeypatch.context() as patch:
        patch.setattr(remember, "insert_returning_sqlite", remember.insert_returning_orm)
        assert _remember(slow, items) == 60
    fast_rows, slow_rows = _stored(fast), _stored(slow)
    assert len(fast_rows) == 60
    assert fast_rows == slow_rows
    with fast.session() as session:
        back = session.scalars(select(Interaction).where(Interaction.external_id == "p1")).one()
        assert back.created_at == T0 + timedelta(seconds=37)
        assert back.raw == RAW
        assert back.text.startswith("caf\u00e9 \U0001f600 <b>&amp;</b>")
    fast.dispose()
    slow.dispose()


def test_many_statements_and_redelivery(tmp_path: Path) -> None:
    """More rows than one statement takes; a redelivered batch inserts and returns nothing."""
    db = Database(make_settings(migrated_sqlite_url(tmp_path / "gs.db")))
    items = _items(1_234, prefix="m")
    assert _remember(db, items) == 1_234
    assert _remember(db, items[:700] + _items(3, prefix="new")) == 3
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1_237
    db.dispose()
