"""A Jetstream stand-in: ``/subscribe`` over a real WebSocket on 127.0.0.1 and a free port.

It keeps an ordered log of events (dicts in Jetstream's shape, or raw text for malformed
ones) and serves each subscriber as Jetstream does: replay from ``cursor`` (``time_us``)
when given, otherwise from the live tail, then every event appended later. ``commit``
events are filtered by ``wantedCollections``; ``identity`` and ``account`` events always
go through. ``drop()`` closes every connection, as a Jetstream restart would.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from groundswell.channels.bluesky.mapping import MENTION
from groundswell.channels.bluesky.standin import BlueskyStandin, fake_cid, fake_did, iso

_B32 = "234567abcdefghijklmnopqrstuvwxyz"


class JetstreamStandin:
    def __init__(self, pds: BlueskyStandin | None = None) -> None:
        self.pds = pds
        """The PDS stand-in that answers ``getProfiles`` for the authors posted here."""
        self.events: list[tuple[int, str, dict[str, Any] | str]] = []
        """(time_us, kind, event or raw text), in time order."""
        self.subscriptions: list[dict[str, list[str]]] = []
        """The query of every ``/subscribe`` received."""
        self.clock = datetime.now(UTC)
        """Event times follow the wall clock (cursors are compared with it), never equal."""
        self._tids = itertools.count(1)
        self._changed = threading.Condition()
        self._connections: set[ServerConnection] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> JetstreamStandin:
        self._server = serve(self._serve, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def drop(self) -> None:
        """Close every subscriber's connection (a Jetstream restart)."""
        with self._changed:
            connections = list(self._connections)
            self._changed.notify_all()
        for connection in connections:
            connection.close()

    # -- scripting ------------------------------------------------------------------------
    def _tick(self) -> int:
        self.clock = max(self.clock + timedelta(milliseconds=1), datetime.now(UTC))
        return int(self.clock.timestamp() * 1_000_000)

    def _tid(self) -> str:
        n = 7_100_000_000_000_000 + next(self._tids)
        out = ""
        for _ in range(13):
            out = _B32[n % 32] + out
            n //= 32
        return out

    def _append(self, time_us: int, kind: str, event: dict[str, Any] | str) -> None:
        with self._changed:
            self.events.append((time_us, kind, event))
            self._changed.notify_all()

    def post(
        self,
        handle: str,
        text: str,
        *,
        mention: str | None = None,
        reply_to: dict[str, Any] | None = None,
        collection: str = "app.bsky.feed.post",
    ) -> dict[str, Any]:
        """Someone posts (``mention``: a DID the post's facet mentions); returns the event."""
        did, time_us, rkey = fake_did(handle), self._tick(), self._tid()
        if self.pds is not None:
            self.pds.profile(handle)
        uri = f"at://{did}/{collection}/{rkey}"
        record: dict[str, Any] = {
            "$type": collection,
            "createdAt": iso(self.clock),
            "langs": ["en"],
            "text": text,
        }
        if mention:
            end = len(text.split(" ", 1)[0].encode())
            record["facets"] = [
                {
                    "$type": "app.bsky.richtext.facet",
                    "features": [{"$type": MENTION, "did": mention}],
                    "index": {"byteEnd": end, "byteStart": 0},
                }
            ]
        if reply_to is not None:
            parent = {"uri": reply_to["uri"], "cid": reply_to["cid"]}
            root = reply_to["record"].get("reply", {}).get("root") or parent
            record["reply"] = {"parent": parent, "root": root}
        event = {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": self._tid(),
                "operation": "create",
                "collection": collection,
                "rkey": rkey,
                "record": record,
                "cid": fake_cid(uri),
            },
        }
        self._append(time_us, "commit", event)
        return {"uri": uri, "cid": fake_cid(uri), "record": record, "event": event}

    def relay(self, view: dict[str, Any], *, mention: str | None = None) -> dict[str, Any]:
        """The firehose event of a post the PDS stand-in holds (``BlueskyStandin.post``):
        the same URI, CID and record, as the network streams a post that also notified the
        brand (``mention``: the DID its facet mentions, when the record has no facet)."""
        did, collection, rkey = str(view["uri"]).removeprefix("at://").split("/", 2)
        record = dict(view["record"])
        if mention and "facets" not in record:
            end = len(str(record["text"]).split(" ", 1)[0].encode())
            record["facets"] = [
                {
                    "$type": "app.bsky.richtext.facet",
                    "features": [{"$type": MENTION, "did": mention}],
                    "index": {"byteEnd": end, "byteStart": 0},
                }
            ]
        time_us = self._tick()
        event = {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": self._tid(),
                "operation": "create",
                "collection": collection,
                "rkey": rkey,
                "record": record,
                "cid": view["cid"],
            },
        }
        self._append(time_us, "commit", event)
        return event

    def identity(self, handle: str) -> None:
        did, time_us = fake_did(handle), self._tick()
        event = {
            "did": did,
            "time_us": time_us,
            "kind": "identity",
            "identity": {"did": did, "handle": handle, "seq": time_us, "time": iso(self.clock)},
        }
        self._append(time_us, "identity", event)

    def raw(self, text: str) -> None:
        """A message that is not a valid event (it still takes a place in the log)."""
        self._append(self._tick(), "raw", text)

    # -- WebSocket ------------------------------------------------------------------------
    def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        parts = urlsplit(request.path if request else "/")
        if parts.path != "/subscribe":
            connection.close(1008, "not found")
            return
        query = parse_qs(parts.query)
        self.subscriptions.append(query)
        wanted = set(query.get("wantedCollections", []))
        cursor = query.get("cursor", [None])[0]
        with self._changed:
            self._connections.add(connection)
            start = len(self.events)
            if cursor is not None:
                start = next(
                    (i for i, (t, _k, _e) in enumerate(self.events) if t >= int(cursor)),
                    len(self.events),
                )
        try:
            while True:
                with self._changed:
                    while start >= len(self.events) and connection in self._connections:
                        self._changed.wait(0.2)
                        if connection.state.name != "OPEN":
                            return
                    pending = self.events[start:]
                start += len(pending)
                for _time, kind, event in pending:
                    if isinstance(event, str):
                        connection.send(event)
                    elif kind != "commit" or not wanted or event["commit"]["collection"] in wanted:
                        connection.send(orjson.dumps(event).decode())
        except ConnectionClosed:
            return
        finally:
            with self._changed:
                self._connections.discard(connection)
