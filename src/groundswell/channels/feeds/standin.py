"""A feed host stand-in: serves RSS 2.0 and Atom with ``ETag`` and ``Last-Modified``,
answers ``304 Not Modified`` to a matching conditional GET, ``429`` on demand."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from groundswell.channels.common.standin import Request, Response, StandinServer


class FeedStandin(StandinServer):
    name = "feeds"

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, str]] = []
        self.updated = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        self.raw_body: bytes | None = None
        """Serve these bytes instead of the generated feed (malformed-input tests)."""
        self.rate_limited = 0
        self.redirect_to: str | None = None
        """Answer the feed's URL with a 302 to this address (the redirect guard's tests)."""

    def review(self, author: str, title: str, body: str) -> dict[str, str]:
        self.updated = self.advance(self.updated, timedelta(minutes=7))
        item = {
            "guid": f"https://reviews.example/r/{len(self.items) + 1}",
            "title": title,
            "body": body,
            "author": author,
            "date": format_datetime(self.updated),
        }
        self.items.append(item)
        return item

    def rss(self) -> bytes:
        entries = "".join(
            "<item>"
            f"<title>{escape(i['title'])}</title>"
            f"<link>{escape(i['guid'])}</link>"
            f'<guid isPermaLink="true">{escape(i["guid"])}</guid>'
            f"<dc:creator>{escape(i['author'])}</dc:creator>"
            f"<pubDate>{i['date']}</pubDate>"
            f"<description>{escape('<p>' + i['body'] + '</p>')}</description>"
            "</item>"
            for i in reversed(self.items)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            "<title>AcmeAir reviews</title><link>https://reviews.example/acmeair</link>"
            "<description>Customer reviews</description>"
            f"<lastBuildDate>{format_datetime(self.updated)}</lastBuildDate>"
            f"{entries}</channel></rss>"
        ).encode()

    def handle(self, request: Request) -> Response:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return Response(
                429, "slow down", headers={"Retry-After": "120"}, content_type="text/plain"
            )
        if self.redirect_to is not None and request.path == "/feed.xml":
            return Response(
                302, b"", headers={"Location": self.redirect_to}, content_type="text/plain"
            )
        if request.path != "/feed.xml":
            return Response(404, "not found", content_type="text/plain")
        body = self.raw_body if self.raw_body is not None else self.rss()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = format_datetime(self.updated, usegmt=True)
        if request.header("If-None-Match") == etag or (
            request.header("If-None-Match") is None
            and request.header("If-Modified-Since") == modified
        ):
            return Response(304, b"", headers={"ETag": etag, "Last-Modified": modified})
        return Response(
            200,
            body,
            headers={"ETag": etag, "Last-Modified": modified},
            content_type="application/rss+xml; charset=utf-8",
        )
