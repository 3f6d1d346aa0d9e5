"""Hand validated posts to the pipeline and keep every refusal with its reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.core.brokers import Broker
from groundswell.core.brokers.base import publish_from_loop
from groundswell.ingestion.models import RejectedRecord
from groundswell.ingestion.schemas import InboundPost
from groundswell.settings import Settings

PROCESS_GROUP = "process"
PAYLOAD_LIMIT = 4000


def validation_context(settings: Settings) -> dict[str, object]:
    """What ``InboundPost`` validation needs from the settings."""
    return {
        "max_text_length": settings.max_text_length,
        "max_future_skew": timedelta(seconds=settings.max_future_skew_seconds),
    }


def posts_stream(settings: Settings) -> str:
    return f"{settings.stream_prefix}.posts"


def events_stream(settings: Settings) -> str:
    return f"{settings.stream_prefix}.events"


def submit_posts(broker: Broker, settings: Settings, posts: Sequence[InboundPost]) -> list[str]:
    """Publish posts for the process stage; returns broker message ids."""
    if not posts:
        return []
    stream = posts_stream(settings)
    broker.ensure_group(stream, PROCESS_GROUP)
    return broker.publish(stream, [p.model_dump_json().encode() for p in posts])


async def submit_posts_from_loop(
    broker: Broker, settings: Settings, posts: Sequence[InboundPost]
) -> list[str]:
    """``submit_posts`` for async routes: the loop awaits the broker, no worker thread."""
    if not posts:
        return []
    payloads = [p.model_dump_json().encode() for p in posts]
    return await publish_from_loop(broker, posts_stream(settings), PROCESS_GROUP, payloads)


def record_rejections(
    session: Session,
    *,
    source: str,
    rejections: Iterable[tuple[str, str | None, str, str | None]],
) -> int:
    """Store (record ref, field, reason, payload) refusals; returns how many."""
    rows = [
        RejectedRecord(
            source=source[:300],
            record_ref=ref[:300],
            field=field[:200] if field else None,
            reason=reason,
            payload=payload[:PAYLOAD_LIMIT] if payload is not None else None,
        )
        for ref, field, reason, payload in rejections
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def list_rejections(
    session: Session, *, limit: int = 50, source: str | None = None
) -> list[RejectedRecord]:
    stmt = select(RejectedRecord).order_by(RejectedRecord.id.desc()).limit(limit)
    if source:
        stmt = stmt.where(RejectedRecord.source.like(f"{source}%"))
    return list(session.scalars(stmt))


def count_rejections(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RejectedRecord)) or 0)
