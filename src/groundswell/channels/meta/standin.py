"""A Graph API stand-in: comment replies, Instagram replies, the Send API, Graph error
bodies; and, the other way, signed webhook deliveries and the subscribe handshake."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from typing import Any

import httpx
import orjson

from groundswell.channels.common.standin import Request, Response, StandinServer


class GraphStandin(StandinServer):
    name = "graph"

    def __init__(
        self,
        *,
        app_secret: str = "standin-app-secret",  # noqa: S107
        page_token: str = "standin-page-token",  # noqa: S107
        version: str = "v21.0",
    ) -> None:
        super().__init__()
        self.app_secret, self.page_token, self.version = app_secret, page_token, version
        self.comments: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.token_expired = False
        self._ids = itertools.count(1)

    # -- Meta → Groundswell ---------------------------------------------------------------
    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def deliver(self, url: str, payload: Any, *, signature: str | None = None) -> httpx.Response:
        body = orjson.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature or self.sign(body),
            "User-Agent": "facebookexternalua",
        }
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # -- Groundswell → Meta ---------------------------------------------------------------
    def _error(self, status: int, code: int, message: str) -> Response:
        error = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "Standin",
        }
        return Response(status, {"error": error})

    def handle(self, request: Request) -> Response:
        if request.arg("access_token") != self.page_token or self.token_expired:
            return self._error(400, 190, "Error validating access token: Session has expired")
        prefix = f"/{self.version}/"
        if not request.path.startswith(prefix) or request.method != "POST":
            return self._error(400, 100, "Unsupported request")
        path = request.path.removeprefix(prefix)
        if path == "me/messages":
            body = request.json() or {}
            text = ((body.get("message") or {}).get("text")) or ""
            if body.get("messaging_type") != "RESPONSE" or not text:
                return self._error(400, 100, "(#100) The parameter message is required")
            self.messages.append(body)
            return Response(
                200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_{next(self._ids)}"}
            )
        target, _, edge = path.partition("/")
        if edge in ("comments", "replies"):
            message = (request.form().get("message") or [""])[0]
            if not message:
                return self._error(400, 100, "(#100) Missing message")
            new_id = f"{target.split('_')[-1]}_{9000 + next(self._ids)}"
            self.comments.append({"parent": target, "edge": edge, "message": message, "id": new_id})
            return Response(200, {"id": new_id})
        return self._error(400, 100, "Unsupported post request")
