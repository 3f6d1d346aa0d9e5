"""From a stored post to its case through the broker's events, idempotent on redelivery."""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy import func, select

from groundswell.core.brokers import Message
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Case
from groundswell.settings import Settings
from groundswell.workers.engagement_stage import engagement_loop
from groundswell.workers.process_stage import ProcessStage


def test_events_open_cases_once(settings: Settings, db: Database) -> None:
    with db.session() as s:
        s.add(
            Rule(
                name="angry",
                position=0,
                stop=False,
                active=True,
                conditions={"keywords": ["awful"]},
                actions=[{"type": "open_case"}, {"type": "tag", "tag": "angry"}],
            )
        )
    broker = MemoryBroker()
    loop, stage = engagement_loop(settings, db, broker, consumer="c1")
    process = ProcessStage(settings, db, broker)
    posts = [
        {
            "channel": "twitter",
            "external_id": f"p{i}",
            "text": text,
            "created_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "author": {"external_id": f"a{i}", "handle": f"a{i}"},
        }
        for i, text in enumerate(["This is awful", "lovely day", "awful service again"])
    ]
    process.handle([Message(id=str(i), payload=orjson.dumps(p)) for i, p in enumerate(posts)])
    assert loop.run_once() == 3
    with db.session() as s:
        rows = s.scalars(select(Case).order_by(Case.id)).all()
        assert [c.tags for c in rows] == [["angry"], ["angry"]]
    # The same events again (a redelivery after a crash before the ack): nothing new.
    events = [
        Message(
            id=f"r{i}",
            payload=orjson.dumps({"type": "interaction.stored", "id": i, "direction": "in"}),
        )
        for i in (1, 2, 3)
    ]
    outcome = stage.handle(events)
    assert sorted(outcome.done) == ["r1", "r2", "r3"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 2
