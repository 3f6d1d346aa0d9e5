"""One bounded reader for every request body.

A route that calls ``request.body()`` or parses a form reads the whole body into memory
before it can look at its size; a 300 MB upload would be held in full first. This
middleware stands in front of every route: a declared ``Content-Length`` above the limit
is refused with 413 before a byte is read, and a body sent without one (chunked) is
counted as it streams and refused the moment it passes the limit.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body exceeds {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1 or (declared is not None and declared > self.max_bytes):
            status = 400 if declared == -1 else 413
            detail = (
                "the Content-Length header is not a number"
                if declared == -1
                else f"the request body exceeds {self.max_bytes} bytes"
            )
            await _send_json(send, status, detail)
            return
        received = 0
        limit = self.max_bytes

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when it is not a plain number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                return -1
            return int(text)
    return None


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = orjson.dumps({"detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
