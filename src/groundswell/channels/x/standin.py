"""A local stand-in for the X API v2, over real HTTP on loopback.

It speaks the documented wire format of the endpoints the connector uses (bearer auth and
its 401 body, ``x-rate-limit-*`` headers and the 429 body, tweet, user, mentions, DM,
stream-rules and filtered-stream payloads) so end-to-end tests and the ``make run`` demo
exercise the real connector without the internet. It is not X: it does not evaluate
stream rules (every injected stream post is delivered, tagged with the first rule), it
keeps everything in memory, and the ``/_standin/…`` routes that inject posts and read
what was received exist only here. The demo labels replies sent here as such.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

FIRST_ID = 1_860_000_000_000_000_000


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


@dataclass
class Window:
    limit: int
    remaining: int
    reset: float


@dataclass
class StandInState:
    """Everything the stand-in knows; tests and the demo read and inject through it."""

    token: str = "standin-token"  # noqa: S105 - a stand-in's fixed test credential
    account_id: str = "1000"
    account_username: str = "groundswell_co"
    account_name: str = "Groundswell Co"
    rate_limit: int = 10_000
    """Calls per endpoint per window before 429."""
    window_seconds: int = 900
    keepalive: float = 1.0
    """Seconds between the stream's blank keep-alive lines (X sends one every 20 s)."""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    mentions: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Requests that posted something (tweets, DMs), exactly as received."""
    dms: list[dict[str, Any]] = field(default_factory=list)
    dm_events: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, dict[str, str]] = field(default_factory=dict)
    stream_log: list[tuple[float, bytes]] = field(default_factory=list)
    windows: dict[str, Window] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)
    """Statuses to answer to the next calls (e.g. [503, 429]), for failure tests."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(FIRST_ID))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add_user(self.account_id, self.account_username, self.account_name, followers=1200)

    def next_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def add_user(
        self, user_id: str, username: str, name: str | None = None, *, followers: int = 0
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "username": username,
            "name": name or username,
            "verified": False,
            "public_metrics": {
                "followers_count": followers,
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
            },
        }
        self.users[user_id] = user
        return user

    def make_tweet(
        self, author_id: str, text: str, *, in_reply_to: str | None = None
    ) -> dict[str, Any]:
        tweet_id = self.next_id()
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "author_id": author_id,
            "created_at": _now_iso(),
            "conversation_id": tweet_id,
            "edit_history_tweet_ids": [tweet_id],
            "lang": "en",
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
            },
        }
        if in_reply_to:
            parent = self.tweets.get(in_reply_to)
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
            if parent:
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["in_reply_to_user_id"] = parent["author_id"]
        self.tweets[tweet_id] = tweet
        return tweet

    def mention(self, author_id: str, username: str, text: str) -> dict[str, Any]:
        """A customer's tweet that mentions the account (it shows in the mentions timeline)."""
        if author_id not in self.users:
            self.add_user(author_id, username)
        tweet = self.make_tweet(author_id, text)
        with self.lock:
            self.mentions.append(tweet["id"])
        return tweet

    def direct_message(self, sender_id: str, username: str, text: str) -> dict[str, Any]:
        """A customer's DM to the account (it shows in ``GET /2/dm_events``)."""
        if sender_id not in self.users:
            self.add_user(sender_id, username)
        a, b = sorted([sender_id, self.account_id], key=int)
        event = {
            "id": self.next_id(),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": f"{a}-{b}",
            "created_at": _now_iso(),
        }
        with self.lock:
            self.dm_events.append(event)
        return event

    def push_stream(self, author_id: str, username: str, text: str) -> dict[str, Any]:
        """A post that matches the stream's rules: delivered to connected stream readers."""
        if author_id not in self.users:
            self.add_user(author_id, username)
        tweet = self.make_tweet(author_id, text)
        self.stream_log.append((time.time(), self.stream_event(tweet)))
        return tweet

    def stream_event(self, tweet: dict[str, Any]) -> bytes:
        rule = next(iter(self.rules.values()), None)
        event: dict[str, Any] = {
            "data": tweet,
            "includes": {"users": [self.users[tweet["author_id"]]]},
        }
        if rule:
            event["matching_rules"] = [{"id": rule["id"], "tag": rule["tag"]}]
        return orjson.dumps(event) + b"\r\n"

    def push_stream_bulk(self, count: int, *, texts: list[str] | None = None) -> None:
        """``count`` pre-rendered stream events at once (benchmarks), cycling ``texts``."""
        texts = texts or ["stream post"]
        now = time.time()
        events = []
        for i in range(count):
            author = f"{7000 + i % 500}"
            if author not in self.users:
                self.add_user(author, f"author{author}")
            tweet = self.make_tweet(author, texts[i % len(texts)])
            events.append((now, self.stream_event(tweet)))
        self.stream_log.extend(events)

    def replies_to(self, tweet_id: str) -> list[dict[str, Any]]:
        return [
            t
            for t in self.tweets.values()
            if t["author_id"] == self.account_id
            and any(r["id"] == tweet_id for r in t.get("referenced_tweets", []))
        ]


def build_app(state: StandInState) -> Starlette:
    def guard(request: Request, endpoint: str) -> tuple[Response | None, dict[str, str]]:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {state.token}":
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401}
            return _json({**body, "detail": "Unauthorized"}, 401), {}
        now = time.time()
        with state.lock:
            window = state.windows.get(endpoint)
            if window is None or window.reset <= now:
                window = Window(state.rate_limit, state.rate_limit, now + state.window_seconds)
                state.windows[endpoint] = window
            headers = {
                "x-rate-limit-limit": str(window.limit),
                "x-rate-limit-reset": str(int(window.reset)),
            }
            forced = state.fail_next.pop(0) if state.fail_next else None
            if window.remaining <= 0 or forced == 429:
                headers["x-rate-limit-remaining"] = "0"
                body = {"title": "Too Many Requests", "detail": "Too Many Requests"}
                return _json({**body, "type": "about:blank", "status": 429}, 429, headers), {}
            window.remaining -= 1
            headers["x-rate-limit-remaining"] = str(window.remaining)
        if forced:
            body = {"title": "Service Unavailable", "detail": "Service Unavailable"}
            return _json({**body, "type": "about:blank", "status": forced}, forced, headers), {}
        return None, headers

    async def me(request: Request) -> Response:
        refused, headers = guard(request, "GET /2/users/me")
        if refused:
            return refused
        return _json({"data": state.users[state.account_id]}, headers=headers)

    async def create_tweet(request: Request) -> Response:
        refused, headers = guard(request, "POST /2/tweets")
        if refused:
            return refused
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _json({"title": "Invalid Request", "detail": "body is not JSON"}, 400)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text or len(text) > 280:
            detail = "text must be 1 to 280 characters"
            return _json({"errors": [{"message": detail}], "title": "Invalid Request"}, 400)
        parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if parent is not None and not str(parent).isdigit():
            detail = "reply.in_reply_to_tweet_id must be a tweet id"
            return _json({"errors": [{"message": detail}], "title": "Invalid Request"}, 400)
        # a parent the stand-in never saw (a replayed demo post) is taken as existing
        state.sent.append({"path": "/2/tweets", "json": body})
        tweet = state.make_tweet(state.account_id, text, in_reply_to=parent)
        data = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        return _json({"data": data}, 201, headers)

    def _page(request: Request, ids: list[str], endpoint: str) -> Response:
        refused, headers = guard(request, endpoint)
        if refused:
            return refused
        params = request.query_params
        try:
            size = min(100, max(5, int(params.get("max_results", "10"))))
            since = int(params.get("since_id", "0"))
            start = int(params.get("pagination_token", "0"))
        except ValueError:
            return _json({"title": "Invalid Request", "detail": "bad parameter"}, 400)
        newest_first = sorted((i for i in ids if int(i) > since), key=int, reverse=True)
        chunk = newest_first[start : start + size]
        tweets = [state.tweets[i] for i in chunk]
        meta: dict[str, Any] = {"result_count": len(tweets)}
        if tweets:
            meta["newest_id"] = tweets[0]["id"]
            meta["oldest_id"] = tweets[-1]["id"]
        if start + size < len(newest_first):
            meta["next_token"] = str(start + size)
        body: dict[str, Any] = {"meta": meta}
        if tweets:
            body["data"] = tweets
            authors = {t["author_id"] for t in tweets}
            body["includes"] = {"users": [state.users[a] for a in sorted(authors)]}
        return _json(body, headers=headers)

    async def mentions(request: Request) -> Response:
        if request.path_params["user_id"] != state.account_id:
            return _json({"title": "Not Found Error", "status": 404}, 404)
        return _page(request, list(state.mentions), "GET /2/users/:id/mentions")

    async def user_tweets(request: Request) -> Response:
        uid = request.path_params["user_id"]
        ids = [t["id"] for t in list(state.tweets.values()) if t["author_id"] == uid]
        return _page(request, ids, "GET /2/users/:id/tweets")

    async def send_dm(request: Request) -> Response:
        endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
        refused, headers = guard(request, endpoint)
        if refused:
            return refused
        body = orjson.loads(await request.body() or b"{}")
        participant = request.path_params["participant_id"]
        state.sent.append(
            {"path": f"/2/dm_conversations/with/{participant}/messages", "json": body}
        )
        event_id = state.next_id()
        conversation = f"{min(participant, state.account_id)}-{max(participant, state.account_id)}"
        state.dms.append({"id": event_id, "to": participant, "text": body.get("text")})
        state.dm_events.append(
            {
                "id": event_id,
                "event_type": "MessageCreate",
                "text": body.get("text"),
                "sender_id": state.account_id,
                "dm_conversation_id": conversation,
                "created_at": _now_iso(),
            }
        )
        data = {"dm_conversation_id": conversation, "dm_event_id": event_id}
        return _json({"data": data}, 201, headers)

    async def dm_events(request: Request) -> Response:
        refused, headers = guard(request, "GET /2/dm_events")
        if refused:
            return refused
        params = request.query_params
        try:
            size = min(100, max(1, int(params.get("max_results", "100"))))
            start = int(params.get("pagination_token", "0"))
        except ValueError:
            return _json({"title": "Invalid Request", "detail": "bad parameter"}, 400)
        events = sorted(list(state.dm_events), key=lambda e: int(e["id"]), reverse=True)
        chunk = events[start : start + size]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if start + size < len(events):
            meta["next_token"] = str(start + size)
        body: dict[str, Any] = {"meta": meta}
        if chunk:
            body["data"] = chunk
            senders = sorted({e["sender_id"] for e in chunk})
            body["includes"] = {"users": [state.users[s] for s in senders if s in state.users]}
        return _json(body, headers=headers)

    async def rules(request: Request) -> Response:
        endpoint = f"{request.method} /2/tweets/search/stream/rules"
        refused, headers = guard(request, endpoint)
        if refused:
            return refused
        sent = _now_iso()
        if request.method == "GET":
            data = list(state.rules.values())
            meta = {"sent": sent, "result_count": len(data)}
            return _json({"data": data, "meta": meta} if data else {"meta": meta}, headers=headers)
        body = orjson.loads(await request.body() or b"{}")
        if "delete" in body:
            ids = body["delete"].get("ids", [])
            gone = [i for i in ids if state.rules.pop(i, None)]
            summary = {"deleted": len(gone), "not_deleted": len(ids) - len(gone)}
            return _json({"meta": {"sent": sent, "summary": summary}}, headers=headers)
        added = []
        for rule in body.get("add", []):
            rule_id = state.next_id()
            state.rules[rule_id] = {
                "id": rule_id,
                "value": rule["value"],
                "tag": rule.get("tag", ""),
            }
            added.append(state.rules[rule_id])
        summary = {"created": len(added), "not_created": 0, "valid": len(added), "invalid": 0}
        return _json({"data": added, "meta": {"sent": sent, "summary": summary}}, 201, headers)

    async def stream(request: Request) -> Response:
        refused, headers = guard(request, "GET /2/tweets/search/stream")
        if refused:
            return refused
        try:
            backfill = int(request.query_params.get("backfill_minutes", "0"))
        except ValueError:
            backfill = 0
        if backfill:
            since = time.time() - 60 * min(5, backfill)
            position = next(
                (i for i, (at, _e) in enumerate(state.stream_log) if at >= since),
                len(state.stream_log),
            )
        else:
            position = len(state.stream_log)

        async def lines() -> AsyncIterator[bytes]:
            nonlocal position
            last = time.monotonic()
            while True:
                end = len(state.stream_log)
                if end > position:
                    chunk = b"".join(e for _at, e in state.stream_log[position:end])
                    position = end
                    last = time.monotonic()
                    yield chunk
                elif time.monotonic() - last >= state.keepalive:
                    last = time.monotonic()
                    yield b"\r\n"
                else:
                    await asyncio.sleep(0.005)

        return StreamingResponse(lines(), headers=headers, media_type="application/json")

    async def inject_mention(request: Request) -> Response:
        body = orjson.loads(await request.body())
        tweet = state.mention(str(body["author_id"]), str(body["username"]), str(body["text"]))
        return _json({"data": tweet}, 201)

    async def received(request: Request) -> Response:
        return _json({"sent": state.sent, "rules": list(state.rules.values())})

    return Starlette(
        routes=[
            Route("/2/users/me", me),
            Route("/2/tweets", create_tweet, methods=["POST"]),
            Route("/2/users/{user_id}/mentions", mentions),
            Route("/2/users/{user_id}/tweets", user_tweets),
            Route("/2/dm_conversations/with/{participant_id}/messages", send_dm, methods=["POST"]),
            Route("/2/dm_events", dm_events),
            Route("/2/tweets/search/stream/rules", rules, methods=["GET", "POST"]),
            Route("/2/tweets/search/stream", stream),
            Route("/_standin/mentions", inject_mention, methods=["POST"]),
            Route("/_standin/received", received),
        ]
    )


class StandInServer:
    """The stand-in on 127.0.0.1 and a free port, served by uvicorn in a daemon thread."""

    def __init__(self, state: StandInState | None = None, *, port: int = 0) -> None:
        import uvicorn

        self.state = state or StandInState()
        config = uvicorn.Config(
            build_app(self.state),
            host="127.0.0.1",
            port=port,
            log_level=None,  # leave the host's uvicorn loggers as they are
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="x-standin", daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StandInServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the X stand-in did not start")
            time.sleep(0.01)
        sockets = self._server.servers[0].sockets
        self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
