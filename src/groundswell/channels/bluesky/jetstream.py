"""Bluesky listening through Jetstream, the network's JSON firehose over WebSocket.

``wss://<host>/subscribe?wantedCollections=app.bsky.feed.post&cursor=<time_us>`` sends every
post created on the network as a ``commit`` event (plus ``identity`` and ``account``
events). The source keeps one connection open and hands the runner a batch every
``window`` seconds: the posts that mention the brand's DID (a mention facet), answer one of
its posts, or contain a keyword. The firehose cannot filter mentions on the server, so
everything else is dropped here, counted as ignored.

The cursor is the ``time_us`` of the last event read; the runner saves it after publishing.
On (re)connect the source asks Jetstream to replay from a few seconds before it, as
Jetstream's documentation advises for gapless playback: what is read twice is absorbed by
the pipeline's idempotence by (channel, URI). A malformed event is refused alone with its
reason and the stream goes on.

The URL is the admin's ``jetstream_url``: before every connection (live or backfill) it
passes the outbound guard with the allow-list the source was bound to (``bind_settings``;
no host is allowed before that), and a refused host is a non-retryable ``SourceError``
naming ``jetstream_url`` — no connection is attempted.

A commit names only the author's DID, so the authors of a batch are looked up in one
``app.bsky.actor.getProfiles`` call on the account's PDS; if that fails the post is kept
with the DID alone (and the handle from an ``identity`` event, when one came).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from atproto import models
from atproto_client.exceptions import AtProtocolError, LoginRequiredError, UnauthorizedError
from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from groundswell.channels.bluesky.connector import POST_COLLECTION, BlueskyConnector
from groundswell.channels.bluesky.mapping import (
    jetstream_reason,
    jetstream_to_post,
    mentioned_dids,
)
from groundswell.channels.bluesky.schemas import JetstreamEvent, PostRecord, ProfileView
from groundswell.channels.common.results import Polled, Refusal, preview, validation_reason
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.settings import Settings

REWIND_US = 5_000_000
"""Replay this much before the saved cursor on reconnect (Jetstream's advice)."""
PROFILES_PER_CALL = 25
"""``app.bsky.actor.getProfiles`` takes at most 25 actors."""
MAX_MESSAGE = 1024 * 1024


def subscribe_url(base: str, cursor: int | None) -> str:
    """``wss://host`` or ``wss://host/subscribe`` → the subscription URL for posts."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    if not path.endswith("/subscribe"):
        path += "/subscribe"
    query: list[tuple[str, str | int]] = [("wantedCollections", POST_COLLECTION)]
    if cursor is not None:
        query.append(("cursor", max(0, cursor - REWIND_US)))
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 17 else None


class JetstreamSource:
    activity = "mentions"

    def __init__(
        self,
        connector: BlueskyConnector,
        url: str,
        *,
        batch: int = 200,
        window: float = 1.0,
        open_timeout: float = 10.0,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.connector = connector
        self.outbound = outbound if outbound is not None else OutboundPolicy()
        """Hosts allowed despite a non-public address: none until ``bind_settings``."""
        self.key = connector.key
        self.url = url
        self.batch = batch
        self.window = window
        self.open_timeout = open_timeout
        self._ws: ClientConnection | None = None
        self._stack: ExitStack | None = None
        self._handles: dict[str, str] = {}
        self._since: int | None = None
        """When the first connection without a cursor opened (unix µs): the place to resume
        from until an event gives a cursor, so a reconnect or restart loses nothing."""

    def bind_settings(self, settings: Settings) -> None:
        """The admin's allow-list (``outbound_allow_hosts``), set when the account is built."""
        self.outbound = OutboundPolicy.from_setting(settings.outbound_allow_hosts)

    # -- Source ---------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Polled:
        brand = self._brand_did()
        start = _cursor(cursor)
        if start is None and self._since is None:
            self._since = time.time_ns() // 1000
        start = start if start is not None else self._since
        if self._ws is None:
            self._open(start)
        assert self._ws is not None
        found: list[tuple[JetstreamEvent, PostRecord, str]] = []
        rejected: list[Refusal] = []
        ignored = 0
        last = str(start) if start is not None else None
        deadline = time.monotonic() + self.window
        while len(found) < self.batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = self._ws.recv(timeout=remaining)
            except TimeoutError:
                break
            except ConnectionClosed:
                self.close()  # Jetstream restarted or dropped us: reconnect next time
                break
            event, refusal = self._parse(message)
            if event is not None:
                last = str(event.time_us)
            if refusal is not None:
                rejected.append(refusal)
                continue
            assert event is not None
            hit = self._select(event, brand)
            if hit is None:
                ignored += 1
            elif isinstance(hit, Refusal):
                rejected.append(hit)
            else:
                found.append(hit)
        posts = self._posts(found)
        return Polled(posts=posts, cursor=last, rejected=tuple(rejected), ignored=ignored)

    def backfill(self, since: datetime) -> Iterator[list[dict[str, Any]]]:
        """Replay the firehose from ``since`` until now on a connection of its own
        (``groundswell channels backfill``; Jetstream keeps about a day of events).
        Refused events are left out here: the live source dead-letters them."""
        brand = self._brand_did()
        end = time.time_ns() // 1000
        stack, ws = self._connect(int(since.timestamp() * 1_000_000) + REWIND_US)  # from since
        found: list[tuple[JetstreamEvent, PostRecord, str]] = []
        with stack:
            while True:
                try:
                    message = ws.recv(timeout=max(2.0, self.window * 2))
                except (TimeoutError, ConnectionClosed):
                    break  # caught up with a quiet stream, or the server went away
                event, refusal = self._parse(message)
                if event is None or refusal is not None:
                    continue
                hit = self._select(event, brand)
                if isinstance(hit, tuple):
                    found.append(hit)
                if len(found) >= self.batch:
                    yield self._posts(found)
                    found = []
                if event.time_us >= end:
                    break
        if found:
            yield self._posts(found)

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = None
        self._ws = None

    # -- reading --------------------------------------------------------------------------
    def _brand_did(self) -> str:
        try:
            return self.connector.did()
        except (UnauthorizedError, LoginRequiredError) as exc:
            raise NeedsReauth(f"needs re-auth: {type(exc).__name__}") from exc
        except AtProtocolError as exc:
            raise SourceError(f"bluesky unavailable: {type(exc).__name__}") from exc

    def _open(self, cursor: int | None) -> None:
        self._stack, self._ws = self._connect(cursor)

    def _connect(self, cursor: int | None) -> tuple[ExitStack, ClientConnection]:
        url = subscribe_url(self.url, cursor)
        try:
            self.outbound.check_websocket_url(url)
        except OutboundRefusedError as exc:
            raise SourceError(f"jetstream_url: {exc}", retryable=False) from None
        try:
            stack = ExitStack()
            ws = stack.enter_context(
                connect(url, open_timeout=self.open_timeout, max_size=MAX_MESSAGE, compression=None)
            )
            return stack, ws
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise SourceError(
                f"jetstream refused the subscription with HTTP {status}",
                retryable=status >= 500 or status == 429,
            ) from exc
        except InvalidURI as exc:
            raise SourceError(f"jetstream_url: {exc}", retryable=False) from exc
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise SourceError(f"jetstream unavailable: {exc!r}") from exc

    def _parse(self, message: str | bytes) -> tuple[JetstreamEvent | None, Refusal | None]:
        ref = f"{self.key}:jetstream"
        try:
            data = orjson.loads(message)
        except orjson.JSONDecodeError as exc:
            return None, Refusal(ref, f"malformed JSON: {exc}", preview(str(message)[:4000]))
        try:
            event = JetstreamEvent.model_validate(data)
        except ValidationError as exc:
            return None, Refusal(ref, validation_reason(exc), preview(data))
        if event.kind == "commit" and event.commit is None:
            return event, Refusal(f"{ref}:{event.time_us}", "commit: missing", preview(data))
        return event, None

    def _select(
        self, event: JetstreamEvent, brand: str
    ) -> tuple[JetstreamEvent, PostRecord, str] | Refusal | None:
        if event.kind == "identity":
            if event.identity is not None and event.identity.handle:
                self._handles[event.did] = event.identity.handle
            return None
        commit = event.commit
        if (
            event.kind != "commit"
            or commit is None
            or commit.collection != POST_COLLECTION
            or commit.operation != "create"
            or event.did == brand  # our own posts and replies
        ):
            return None
        raw = commit.record or {}
        try:
            record = PostRecord.model_validate(raw)
        except ValidationError as exc:
            text = str(raw.get("text") or "").casefold()
            if brand in mentioned_dids(raw) or any(
                k.casefold() in text for k in self.connector.config.keywords
            ):
                uri = f"at://{event.did}/{commit.collection}/{commit.rkey}"
                return Refusal(f"bluesky:{uri}", validation_reason(exc), preview(raw))
            return None  # someone else's malformed post: not ours to keep
        reason = jetstream_reason(
            record=record, raw=raw, brand_did=brand, keywords=self.connector.config.keywords
        )
        return (event, record, reason) if reason else None

    def _posts(self, found: list[tuple[JetstreamEvent, PostRecord, str]]) -> list[dict[str, Any]]:
        profiles = self._profiles({event.did for event, _r, _w in found})
        posts: list[dict[str, Any]] = []
        for event, record, reason in found:
            commit = event.commit
            assert commit is not None
            uri = f"at://{event.did}/{commit.collection}/{commit.rkey}"
            post = jetstream_to_post(
                channel=self.key,
                uri=uri,
                cid=commit.cid or "",
                did=event.did,
                record=record,
                time_us=event.time_us,
                reason=reason,
                profile=profiles.get(event.did),
            )
            handle = self._handles.get(event.did)
            if event.did not in profiles and handle:
                post["author"]["handle"] = f"@{handle}"
                post["author"]["profile_url"] = f"https://bsky.app/profile/{handle}"
            posts.append(post)
        return posts

    def _profiles(self, dids: set[str]) -> dict[str, ProfileView]:
        """Authors' profiles, best effort: a failed lookup leaves the DID alone."""
        found: dict[str, ProfileView] = {}
        ordered = sorted(dids)
        for start in range(0, len(ordered), PROFILES_PER_CALL):
            actors = ordered[start : start + PROFILES_PER_CALL]
            try:
                answer = self.connector.client.invoke_query(
                    "app.bsky.actor.getProfiles",
                    params=models.AppBskyActorGetProfiles.Params(actors=actors),
                )
            except AtProtocolError:
                continue
            content = answer.content if isinstance(answer.content, dict) else {}
            for item in content.get("profiles") or []:
                try:
                    profile = ProfileView.model_validate(item)
                except ValidationError:
                    continue
                found[profile.did] = profile
        return found
