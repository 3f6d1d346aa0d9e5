"""Caching and transport headers: nothing personal in a shared cache, HTTPS pinned.

Every page and API answer other than the static assets carries ``Cache-Control:
no-store``, so a browser's back button or a proxy on a shared machine never shows a
logged-out user someone's stream. In production ``Strict-Transport-Security`` tells
browsers to use HTTPS only (production runs behind TLS: the session cookie is
``Secure`` there).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS_VALUE = "max-age=31536000; includeSubDomains"
CACHEABLE_PREFIXES = ("/static/",)


class ResponsePolicyMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not cacheable and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
                if self.production and "strict-transport-security" not in headers:
                    headers["strict-transport-security"] = HSTS_VALUE
            await send(message)

        await self.app(scope, receive, send_with_headers)
