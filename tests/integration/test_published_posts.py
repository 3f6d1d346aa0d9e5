"""An importer's own posts are not decoded again, and are stored exactly as decoded ones.

``ProcessStage.published`` lets a process that validated and published posts hand them
to its own loop by message id (``workers/process_stage.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from groundswell.core.brokers import Message
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.schemas import InboundPost
from groundswell.workers import process_stage
from groundswell.workers.importer import import_file
from groundswell.workers.process_stage import ProcessStage
from gs_testing import make_settings, migrated_sqlite_url


def _record(i: int) -> dict[str, Any]:
    return {
        "channel": "Twitter" if i % 2 else "twitter",  # normalised by the validators
        "external_id": f"e{i}",
        "text": f"  caf\u00e9 &amp; <b>{i}</b>\u0007 \U0001f600 late again  ",
        "created_at": f"2024-03-0{1 + i % 5}T10:{i % 60:02d}:00+02:00",
        "author": {"external_id": f"a{i % 9}", "handle": f"h{i % 9}", "followers": i},
        "reply_to_external_id": f"e{i - 3}" if i % 4 == 0 and i else None,
        "engagement": {"likes": i},
        "raw": {"n": i, "f": 1.5, "t": "\u00fc"},
    }


def _dump(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM interactions ORDER BY external_id").mappings()
        return [tuple(v for k, v in r.items() if k not in {"id", "ingested_at"}) for r in rows]


def _import(tmp_path: Path, name: str, path: Path) -> Database:
    settings = make_settings(
        migrated_sqlite_url(tmp_path / f"{name}.db"), sentiment="lexicon", batch_size=40
    )
    db = Database(settings)
    report = import_file(settings, path, "native", db=db)
    assert report.stored == 150
    return db


def test_an_import_stores_the_same_rows_without_decoding_its_own_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(_record(i)) for i in range(150)) + "\n")
    decoded: list[str] = []
    real = InboundPost.model_validate_json

    def counting(data: Any, **kw: Any) -> InboundPost:
        decoded.append("x")
        return real(data, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(InboundPost, "model_validate_json", counting)
        fast = _import(tmp_path, "fast", path)
        assert decoded == []  # every message was one of the importer's own posts
        patch.setattr(ProcessStage, "published", lambda self, ids, posts: None)
        slow = _import(tmp_path, "slow", path)
        assert len(decoded) >= 150  # decoded from the payloads, as a worker does
    fast_rows, slow_rows = _dump(fast), _dump(slow)
    assert len(fast_rows) == 150
    assert fast_rows == slow_rows
    with fast.session() as s:
        one = s.scalars(sa.select(Interaction).where(Interaction.external_id == "e1")).one()
        assert one.text.startswith("caf\u00e9 & <b>1</b>")  # entity decoded once, trimmed
    fast.dispose()
    slow.dispose()


def test_a_message_delivered_again_is_decoded_from_its_payload(tmp_path: Path) -> None:
    settings = make_settings(
        migrated_sqlite_url(tmp_path / "gs.db"), sentiment="lexicon", enrichment_process=False
    )
    stage = ProcessStage(settings, Database(settings), broker=None)  # type: ignore[arg-type]
    post = InboundPost.model_validate(_record(1))
    message = Message("7-0", post.model_dump_json().encode())
    stage.published(["7-0"], [post])
    assert stage._decode(message) is post
    again = stage._decode(message)  # a redelivery: the payload is the truth
    assert again is not post
    assert again == post
    stage.close()


def test_the_published_posts_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_stage, "PUBLISHED_LIMIT", 10)
    settings = make_settings(
        migrated_sqlite_url(tmp_path / "gs.db"), sentiment="lexicon", enrichment_process=False
    )
    stage = ProcessStage(settings, Database(settings), broker=None)  # type: ignore[arg-type]
    post = InboundPost.model_validate(_record(2))
    for start in range(0, 40, 8):
        stage.published([f"{i}-0" for i in range(start, start + 8)], [post] * 8)
        assert len(stage._published) <= 10
    stage.close()
