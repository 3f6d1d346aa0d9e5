"""``POST /api/v1/webhooks/{channel}``: networks push here; the channel's source verifies.

No user authentication: each ``WebhookSource`` checks its network's signature (and the
route never reads more than the source's body limit). A refused delivery is answered with
the source's status and reason and kept in the dead-letter table; a delivery that passes
is validated post by post like the ingest API, and the valid posts are published to the
pipeline. ``GET`` answers a subscription handshake (Meta's ``hub.challenge``) for sources
that have one. Never a 500: a source that fails unexpectedly is a refusal with a reason.

The route holds no database session while it reads, verifies and publishes: only a
refusal is written, in a short session of its own. A request-long session would, on
SQLite, hold the write lock from the first byte read, so a burst of deliveries would
queue on it and exhaust the connection pool.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from groundswell.api.deps import DatabaseDep
from groundswell.channels.base import WebhookRejected, WebhookSource
from groundswell.channels.common.webhooks import (
    SubscriptionHandshake,
    WebhookRegistry,
    max_body_of,
    webhooks,
)
from groundswell.core.db import Database
from groundswell.ingestion.formats import Accepted, Rejected, validate_items
from groundswell.ingestion.schemas import IngestResult, PostError
from groundswell.ingestion.service import (
    record_rejections,
    submit_posts_from_loop,
    validation_context,
)
from groundswell.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


def registry_of(request: Request) -> WebhookRegistry:
    found = getattr(request.app.state, "webhooks", None)
    return found if isinstance(found, WebhookRegistry) else webhooks


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it exceeds ``limit`` bytes (never read further)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def _keep_rejections(db: Database, channel: str, rejections: list[Any]) -> None:
    with db.session() as session:
        record_rejections(session, source=f"webhook:{channel}", rejections=rejections)


async def _refused(
    db: Database, channel: str, status: int, reason: str, payload: bytes
) -> JSONResponse:
    rejection = ("delivery", None, reason, payload[:4000].decode("utf-8", "replace"))
    await run_in_threadpool(_keep_rejections, db, channel, [rejection])
    result = IngestResult(
        accepted=0, rejected=1, errors=[PostError(record="delivery", field=None, reason=reason)]
    )
    return JSONResponse(status_code=status, content=result.model_dump())


@router.post(
    "/webhooks/{channel}",
    response_model=IngestResult,
    responses={
        401: {"model": IngestResult, "description": "signature or timestamp refused"},
        404: {"description": "no webhook source for this channel"},
        409: {"model": IngestResult, "description": "delivery already received (replay)"},
        413: {"model": IngestResult, "description": "body too large"},
        422: {"model": IngestResult, "description": "no valid post in the delivery"},
    },
    summary="Receive a network's webhook delivery",
)
async def receive(channel: str, request: Request, db: DatabaseDep) -> Response:
    source = registry_of(request).get(channel)
    if source is None:
        return JSONResponse(status_code=404, content={"detail": f"no webhook for {channel[:64]!r}"})
    limit = max_body_of(source)
    body = await _bounded_body(request, limit)
    if body is None:
        return await _refused(db, channel, 413, f"body exceeds {limit} bytes", b"")
    headers = dict(request.headers)
    try:
        posts = source.parse_webhook(headers, body)
    except WebhookRejected as exc:
        return await _refused(db, channel, exc.status, exc.reason, body)
    except Exception as exc:  # a source bug must not become a 500 for the network
        log.exception("webhook source %s failed", channel)
        reason = f"unreadable delivery: {type(exc).__name__}"
        return await _refused(db, channel, 422, reason, body)
    return await _publish(request, db, source, channel, posts)


async def _publish(
    request: Request,
    db: Database,
    source: WebhookSource,
    channel: str,
    posts: list[dict[str, Any]],
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    parsed = validate_items(list(posts), context=validation_context(settings), ref_prefix="post")
    accepted = [r.post for r in parsed if isinstance(r, Accepted)]
    rejected = [(r.ref, r.field, r.reason, r.payload) for r in parsed if isinstance(r, Rejected)]
    for refusal in getattr(source, "last_refusals", None) or []:
        rejected.append((refusal.ref, None, refusal.reason, refusal.payload))
    if rejected:
        await run_in_threadpool(_keep_rejections, db, channel, rejected)
    if accepted:
        await submit_posts_from_loop(request.app.state.broker, settings, accepted)
    result = IngestResult(
        accepted=len(accepted),
        rejected=len(rejected),
        errors=[
            PostError(record=ref, field=field, reason=reason) for ref, field, reason, _ in rejected
        ],
    )
    status = 200 if accepted or not rejected else 422
    return JSONResponse(status_code=status, content=result.model_dump())


@router.get("/webhooks/{channel}", summary="Answer a webhook subscription handshake")
async def handshake(channel: str, request: Request) -> Response:
    source = registry_of(request).get(channel)
    if not isinstance(source, SubscriptionHandshake):
        return JSONResponse(status_code=404, content={"detail": "no handshake for this channel"})
    try:
        answer = source.verify_subscription(dict(request.query_params))
    except WebhookRejected as exc:
        return JSONResponse(status_code=exc.status, content={"detail": exc.reason})
    return PlainTextResponse(answer)
