"""A Twilio stand-in: the Messages resource (basic auth, form POST, Twilio's error JSON)
and, in the other direction, a signed inbound-SMS delivery to Groundswell's webhook."""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from groundswell.channels.common.standin import Request, Response, StandinServer


class TwilioStandin(StandinServer):
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0" * 31 + "1",
        auth_token: str = "standin-auth-token",  # noqa: S107
        number: str = "+15005550006",
    ) -> None:
        super().__init__()
        self.account_sid, self.auth_token, self.number = account_sid, auth_token, number
        self.sent: list[dict[str, Any]] = []
        self._n = itertools.count(1)

    def sid(self, prefix: str = "SM") -> str:
        return prefix + hashlib.md5(str(next(self._n)).encode(), usedforsecurity=False).hexdigest()

    # -- inbound: Twilio → Groundswell -------------------------------------------------------
    def inbound_params(self, sender: str, body: str) -> dict[str, str]:
        return {
            "ToCountry": "US",
            "ToState": "CA",
            "SmsMessageSid": (sid := self.sid()),
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "PT",
            "To": self.number,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def deliver(
        self, url: str, params: dict[str, str], *, signature: str | None = None
    ) -> httpx.Response:
        """POST an inbound message to ``url`` as Twilio does (form body, signed)."""
        headers = {
            "X-Twilio-Signature": signature or self.signature(url, params),
            "I-Twilio-Idempotency-Token": params.get("MessageSid", ""),
            "User-Agent": "TwilioProxy/1.1",
        }
        return httpx.post(url, data=params, headers=headers, timeout=10)

    # -- outbound: Groundswell → Twilio ------------------------------------------------------
    def handle(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.header("Authorization") != f"Basic {expected}":
            return Response(
                401,
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                },
            )
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if request.path != path:
            return Response(
                404,
                {"code": 20404, "message": "The requested resource was not found", "status": 404},
            )
        if request.method == "GET":
            to = request.arg("To")
            found = [m for m in reversed(self.sent) if not to or m["to"] == to]
            return Response(200, {"messages": found, "page": 0, "page_size": 50})
        form = {k: v[0] for k, v in request.form().items()}
        if not form.get("To", "").startswith("+"):
            return Response(
                400,
                {
                    "code": 21211,
                    "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
            )
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid(),
            "status": "queued",
            "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/x.json",
        }
        self.sent.append(message)
        return Response(201, message)
