"""The demo's customer record moves contacts along the journey by the rules, not by
setting stages: buyers, shoppers who asked and shoppers who bought. On ``make run`` the
server builds it once the history it loads behind has been stored."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from threading import Event
from types import SimpleNamespace

from sqlalchemy import select

from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.journey_stages import stages_of
from groundswell.crm.models import Contact
from groundswell.demo.runner import customer_record_after_history
from groundswell.demo.setup import ensure_demo_user, load_history
from groundswell.ingestion.schemas import Author, InboundPost
from groundswell.ingestion.service import PROCESS_GROUP, posts_stream
from gs_testing import make_settings

TEXTS = (
    "@united my flight was delayed three hours and nobody told us anything, awful",
    "@united thank you for the great service today, the crew was lovely",
    "@united where is my bag? it did not arrive in Denver",
    "@united on the way to Boston",
)


def test_demo_contacts_spread_over_the_stages(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, sentiment="model")  # the intents move stages
    db = Database(settings)
    try:
        ensure_demo_user(db)
        now = utcnow().replace(microsecond=0)
        posts = [
            InboundPost(
                channel="twitter",
                external_id=f"t{i}-{k}",
                text=TEXTS[(i + k) % len(TEXTS)],
                created_at=now - timedelta(hours=20 - k, minutes=i),
                author=Author(external_id=f"u{i}", handle=f"flyer{i}", display_name=f"Flyer {i}"),
            )
            for i in range(80)
            for k in range(1 + i % 3)
        ]
        load_history(settings, db, posts)
        broker = MemoryBroker()
        broker.ensure_group(posts_stream(settings), PROCESS_GROUP)
        app = SimpleNamespace(state=SimpleNamespace(settings=settings, broker=broker, db=db))
        customer_record_after_history(app, stop=Event())  # type: ignore[arg-type]
        with db.session() as s:
            assert s.scalar(select(Transaction.id).limit(1)) is not None
            ids = list(s.scalars(select(Contact.id).where(Contact.merged_into_id.is_(None))))
            stages = Counter(moves[-1].stage for moves in stages_of(s, ids).values())
    finally:
        db.dispose()
    assert set(stages) == {"awareness", "consideration", "purchase", "service", "loyalty"}, stages
    assert stages["awareness"] < 0.7 * sum(stages.values()), stages
