"""Every connector checks each request it sends with the outbound guard, whatever library
sends it (``channels/common/guard.py``).

A local server counts what reaches it. Each connector is pointed at it (loopback, an
address the guard refuses unless an admin allowed it) and asked to send a reply: bound
to settings that do not allow the host, nothing reaches the server; bound to settings
that allow it, the request arrives. Checking only when the URL is saved would let a name
that later resolves inward through.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from groundswell.channels.base import Reply
from groundswell.channels.bluesky.connector import BlueskyConfig, BlueskyConnector
from groundswell.channels.mastodon.connector import MastodonConfig, MastodonConnector
from groundswell.channels.meta.connector import MetaChannel, MetaConfig
from groundswell.channels.reddit.connector import RedditConfig, RedditConnector
from groundswell.channels.sms.connector import TwilioConfig, TwilioSms
from groundswell.channels.x.connector import XConfig, XConnector
from groundswell.channels.youtube.connector import YouTubeConfig, YouTubeConnector


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self) -> None:
        type(self).hits.append(f"{self.command} {self.path}")
        body = b'{"error": "stand-in answers nothing"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def _reply(channel: str, **kw: Any) -> Reply:
    return Reply(channel=channel, text="Thanks, we are on it", idempotency_key="k-1", **kw)


CONNECTORS: dict[str, tuple[Callable[[str], Any], Reply]] = {
    "x": (
        lambda url: XConnector(XConfig(user_id="1", access_token="t", base_url=url)),
        _reply("twitter", in_reply_to_external_id="1460323737035677698"),
    ),
    "mastodon": (
        lambda url: MastodonConnector(MastodonConfig(base_url=url, access_token="t")),
        _reply("mastodon", in_reply_to_external_id="109"),
    ),
    "bluesky": (
        lambda url: BlueskyConnector(
            BlueskyConfig(base_url=url, identifier="acme.bsky.social", app_password="p")
        ),
        _reply("bluesky", in_reply_to_external_id="at://did:plc:x/app.bsky.feed.post/3k"),
    ),
    "reddit": (
        lambda url: RedditConnector(
            RedditConfig(
                client_id="c",
                client_secret="s",
                username="u",
                password="p",
                oauth_url=url,
                reddit_url=url,
            )
        ),
        _reply("reddit", in_reply_to_external_id="t1_abc"),
    ),
    "sms": (
        lambda url: TwilioSms(
            TwilioConfig(
                account_sid="AC1",
                auth_token="t",
                from_number="+15550000000",
                webhook_url="https://example.com/hook",
                api_base=url,
            )
        ),
        _reply("sms", recipient="+15550001111", visibility="private"),
    ),
    "meta": (
        lambda url: MetaChannel(
            MetaConfig(app_secret="s", verify_token="v", page_access_token="t", graph_url=url)
        ),
        _reply("facebook", in_reply_to_external_id="123_456"),
    ),
    "youtube": (
        lambda url: YouTubeConnector(
            YouTubeConfig(channel_id="UC1", access_token="t", api_base=url)
        ),
        _reply("youtube", in_reply_to_external_id="Ugz1"),
    ),
}


def _send(connector: Any, reply: Reply) -> None:
    # Refused by the guard, or the stand-in's 500: both end in an exception here.
    with contextlib.suppress(Exception):
        connector.send_reply(reply)


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_a_connector_bound_to_settings_sends_only_where_the_admin_allowed(
    name: str, server: tuple[str, list[str]]
) -> None:
    url, hits = server
    build, reply = CONNECTORS[name]

    refused = build(url)
    refused.bind_settings(SimpleNamespace(outbound_allow_hosts=""))
    _send(refused, reply)
    assert hits == [], f"{name} reached a loopback address nobody allowed"

    allowed = build(url)
    allowed.bind_settings(SimpleNamespace(outbound_allow_hosts="127.0.0.1"))
    _send(allowed, reply)
    assert hits, f"{name} sent nothing although its host is allowed"
