"""``/chat/v1/{public_key}/…``: what the embedded widget calls, without a login.

- ``GET  config``: the greeting and poll interval, before anything is stored.
- ``POST conversations``: ``{email, name?, consent}`` → a conversation and its token.
- ``POST messages`` (``Authorization: Bearer <token>``): ``{client_id, text}`` → stored
  and published to the pipeline as a private inbound post; the same ``client_id`` again
  is the same message (answered 200 instead of 201, published again harmlessly: the
  pipeline is idempotent by channel and external id).
- ``GET  messages?after=<cursor>`` (token): both directions since the cursor.

Every answer is JSON and carries CORS headers for the channel's allowed origins. Bodies
are read up to ``MAX_BODY`` bytes; bad input is a 4xx whose ``errors`` name the field;
each action is rate-limited per address and per token (``throttle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from groundswell.api.client_address import client_address
from groundswell.api.webchat.cors import cors_headers, origin_allowed
from groundswell.api.webchat.throttle import ChatThrottle
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.channels.webchat import service
from groundswell.channels.webchat.connector import WebchatSettings
from groundswell.channels.webchat.posts import inbound_post
from groundswell.channels.webchat.schemas import MessageIn, Page, Started, StartIn
from groundswell.channels.webchat.tokens import bearer_token
from groundswell.core.bounds import MAX_INT64
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import submit_posts, validation_context
from groundswell.settings import Settings

router = APIRouter(prefix="/chat/v1", include_in_schema=False)

MAX_BODY = 8 * 1024
M = TypeVar("M", bound=BaseModel)
KEY_PATH = "{public_key}"


@dataclass(frozen=True)
class Channel:
    key: str
    settings: WebchatSettings


class Refused(Exception):
    def __init__(self, status: int, reason: str, field: str | None = None, wait: int = 0):
        super().__init__(reason)
        self.status, self.reason, self.field, self.wait = status, reason, field, wait


def _find_channel(db: Database, public_key: str) -> Channel | None:
    if not 16 <= len(public_key) <= 64:
        return None
    with db.session() as session:
        accounts = session.scalars(
            select(ChannelAccount).where(
                ChannelAccount.kind == "webchat", ChannelAccount.enabled.is_(True)
            )
        )
        for account in accounts:
            if (account.config or {}).get("public_key") != public_key:
                continue
            try:
                return Channel(account.key, WebchatSettings.model_validate(account.config))
            except ValidationError:
                return None
    return None


def _throttle(request: Request) -> ChatThrottle:
    found = getattr(request.app.state, "chat_throttle", None)
    if not isinstance(found, ChatThrottle):
        found = request.app.state.chat_throttle = ChatThrottle(request.app.state.settings)
    return found


def _answer(request: Request, status: int, content: Any) -> JSONResponse:
    """JSON, readable by the page only when its origin was allowed for the channel."""
    allowed = getattr(request.state, "chat_origin_allowed", False)
    headers = cors_headers(request) if allowed else {"vary": "Origin"}
    return JSONResponse(status_code=status, content=content, headers=headers)


def _refusal(request: Request, exc: Refused) -> JSONResponse:
    body: dict[str, Any] = {"detail": exc.reason}
    if exc.field:
        body["errors"] = [{"field": exc.field, "reason": exc.reason}]
    response = _answer(request, exc.status, body)
    if exc.wait:
        response.headers["retry-after"] = str(exc.wait)
    return response


async def _channel(request: Request, public_key: str) -> Channel:
    channel = await run_in_threadpool(_find_channel, request.app.state.db, public_key)
    if channel is None:
        raise Refused(404, "no web chat channel with this key", "public_key")
    if not origin_allowed(request, channel.settings.allowed_origins):
        raise Refused(403, "this site is not allowed to use this chat", "Origin")
    request.state.chat_origin_allowed = True
    return channel


def _limit(request: Request, action: str, token: str | None = None) -> None:
    wait = _throttle(request).hit(action, address=client_address(request), token=token)
    if wait:
        raise Refused(429, f"too many requests; try again in {wait} s", wait=wait)


async def _body(request: Request, model: type[M]) -> M:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, f"the body exceeds {MAX_BODY} bytes", "body")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            raise Refused(413, f"the body exceeds {MAX_BODY} bytes", "body")
    try:
        doc = orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise Refused(400, "the body is not JSON", "body") from None
    if not isinstance(doc, dict):
        raise Refused(422, "the body must be a JSON object", "body")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise Refused(422, f"{field}: {first['msg']}", field) from None


def _token(request: Request) -> str:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Refused(401, "missing or malformed conversation token", "Authorization")
    return token


@router.options(f"/{KEY_PATH}/{{action}}")
async def preflight(request: Request, public_key: str, action: str) -> Response:
    try:
        await _channel(request, public_key[:100])
    except Refused as exc:
        return _refusal(request, exc)
    return Response(status_code=204, headers=cors_headers(request, preflight=True))


@router.get(f"/{KEY_PATH}/config")
async def chat_config(request: Request, public_key: str) -> Response:
    try:
        channel = await _channel(request, public_key[:100])
        _limit(request, "config")
    except Refused as exc:
        return _refusal(request, exc)
    return _answer(
        request,
        200,
        {"greeting": channel.settings.greeting, "poll_seconds": channel.settings.poll_seconds},
    )


@router.post(f"/{KEY_PATH}/conversations")
async def start(request: Request, public_key: str) -> Response:
    try:
        channel = await _channel(request, public_key[:100])
        _limit(request, "start")
        data = await _body(request, StartIn)
    except Refused as exc:
        return _refusal(request, exc)
    db: Database = request.app.state.db

    def store() -> str:
        with db.session(write=True) as session:
            _conv, token = service.start_conversation(
                session,
                channel_key=channel.key,
                data=data,
                origin=request.headers.get("origin"),
                now=utcnow(),
            )
        return token

    token = await run_in_threadpool(store)
    started = Started(token=token, greeting=channel.settings.greeting)
    return _answer(request, 201, started.model_dump())


@router.post(f"/{KEY_PATH}/messages")
async def post_message(request: Request, public_key: str) -> Response:
    settings: Settings = request.app.state.settings
    try:
        channel = await _channel(request, public_key[:100])
        token = _token(request)
        _limit(request, "post", token)
        data = await _body(request, MessageIn)
        stored = await run_in_threadpool(_store_message, request, channel, token, data)
    except Refused as exc:
        return _refusal(request, exc)
    post, out, new = stored
    await run_in_threadpool(submit_posts, request.app.state.broker, settings, [post])
    return _answer(request, 201 if new else 200, {"message": out, "duplicate": not new})


def _store_message(
    request: Request, channel: Channel, token: str, data: MessageIn
) -> tuple[InboundPost, dict[str, Any], bool]:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    with db.session(write=True) as session:
        conversation = service.conversation_of(session, channel_key=channel.key, token=token)
        if conversation is None:
            raise Refused(401, "unknown conversation token", "Authorization")
        message, new = service.add_visitor_message(
            session, conversation=conversation, data=data, now=utcnow()
        )
        session.flush()
        try:
            post = InboundPost.model_validate(
                inbound_post(channel.key, conversation, message),
                context=validation_context(settings),
            )
        except ValidationError as exc:
            session.rollback()
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "text"
            raise Refused(422, f"{field}: {first['msg']}", field) from None
        out = {
            "id": message.id,
            "direction": "in",
            "text": message.text,
            "created_at": message.created_at.isoformat(),
            "client_id": message.client_id,
        }
    return post, out, new


@router.get(f"/{KEY_PATH}/messages")
async def fetch(request: Request, public_key: str) -> Response:
    try:
        channel = await _channel(request, public_key[:100])
        token = _token(request)
        _limit(request, "fetch", token)
        after = _cursor(request.query_params.get("after", "0"))
        page = await run_in_threadpool(_page, request.app.state.db, channel, token, after)
    except Refused as exc:
        return _refusal(request, exc)
    return _answer(request, 200, page.model_dump(mode="json"))


def _cursor(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_INT64:
        raise Refused(422, "after must be a whole number from 0", "after")
    return int(raw)


def _page(db: Database, channel: Channel, token: str, after: int) -> Page:
    with db.session() as session:
        conversation = service.conversation_of(session, channel_key=channel.key, token=token)
        if conversation is None:
            raise Refused(401, "unknown conversation token", "Authorization")
        messages = service.messages_since(session, conversation=conversation, after=after)
    return Page(messages=messages, cursor=messages[-1].id if messages else after)
