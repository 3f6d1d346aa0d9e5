"""One sender per target kind: email over SMTP, signed JSON webhook, Slack webhook.

Standard-library ``smtplib`` speaks SMTP (with STARTTLS and login when configured) and
``httpx`` posts the webhooks; docs/adr/0005-alert-delivery.md says why not a general
notification library. Every call has a timeout, so a receiver that never answers costs
one timeout, not a stuck dispatcher.

Errors are raised as ``DeliveryError`` with a message safe to store and show: it never
holds the target URL (Slack's carries its token) nor any credential.
"""

from __future__ import annotations

import base64
import binascii
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import orjson

from groundswell.core.instance_keys import resolve_keys
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.notify.secrets import subscription_secret
from groundswell.notify.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from groundswell.settings import Settings

EVENT_TITLES = {
    "opened": "Alert opened",
    "escalated": "Alert escalated",
    "resolved": "Alert resolved",
}


NO_EXCEPTIONS = OutboundPolicy()
"""Only public addresses; tests and in-house receivers pass an allow-list."""


class DeliveryError(Exception):
    """A send failed; the message is stored as the delivery's ``last_error``."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    kind: str
    target: str
    event: str
    payload: Mapping[str, Any]
    secret_salt: str | None = None
    """For a domain event: its subscription's salt, from which the signing secret comes."""


@dataclass(frozen=True)
class DeliveryConfig:
    smtp_host: str | None
    smtp_port: int
    smtp_from: str
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    webhook_secret: bytes
    timeout_s: float = 5.0
    outbound: OutboundPolicy = NO_EXCEPTIONS

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout_s: float = 5.0) -> DeliveryConfig:
        password = settings.smtp_password
        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_from=settings.smtp_from,
            smtp_username=settings.smtp_username,
            smtp_password=password.get_secret_value() if password else None,
            smtp_starttls=settings.smtp_starttls,
            webhook_secret=resolve_keys(settings).webhook_key,
            timeout_s=timeout_s,
            outbound=OutboundPolicy.from_setting(settings.outbound_allow_hosts),
        )

    def __repr__(self) -> str:
        return f"DeliveryConfig(smtp_host={self.smtp_host!r}, smtp_port={self.smtp_port})"


Sender = Callable[[Outgoing, DeliveryConfig], None]


def _alert(item: Outgoing) -> Mapping[str, Any]:
    alert = item.payload.get("alert")
    return alert if isinstance(alert, Mapping) else {}


def _title(item: Outgoing) -> str:
    if isinstance(item.payload.get("title"), str):
        return str(item.payload["title"])
    alert = _alert(item)
    return f"{EVENT_TITLES.get(item.event, item.event)}: {alert.get('summary') or ''}"


def send_email(item: Outgoing, config: DeliveryConfig) -> None:
    if not config.smtp_host:
        raise DeliveryError("SMTP is not configured (set GROUNDSWELL_SMTP_HOST)")
    alert = _alert(item)
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = item.target
    message["Subject"] = " ".join(("[Groundswell] " + _title(item)).split())[:250]
    if alert:
        message["X-Groundswell-Alert"] = str(alert.get("id", ""))
    given = item.payload.get("lines")
    lines = (
        [_title(item), "", *map(str, given)]
        if isinstance(given, list)
        else [
            _title(item),
            "",
            f"Subject: {alert.get('subject')}",
            f"Metric: {alert.get('metric')}",
            f"Status: {alert.get('status')}",
            f"Severity: {alert.get('severity')}",
            f"Started: {alert.get('started_at')}",
            f"Last anomalous minute: {alert.get('last_anomaly_at')}",
            f"Drill-down: {alert.get('drilldown_path')}",
        ]
    )
    message.set_content("\n".join(lines) + "\n")
    add_html(message, item.payload)
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_s) as smtp:
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_username:
                smtp.login(config.smtp_username, config.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login refused ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raw = exc.smtp_error
        reply = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))[:200]
        raise DeliveryError(f"SMTP server answered {exc.smtp_code} {reply}") from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}"[:300]) from None


MAX_INLINE_IMAGES = 8


def add_html(message: EmailMessage, payload: Mapping[str, Any]) -> None:
    """An HTML alternative, with its inline images, when the payload carries one.

    ``payload["html"]`` is a complete HTML document (already escaped by its producer);
    ``payload["inline_images"]`` lists ``{"cid", "subtype", "data"}`` (base64), which the
    HTML references as ``<img src="cid:…">``. The result is the usual
    ``multipart/alternative`` (text, ``multipart/related`` (html, images)).
    """
    html = payload.get("html")
    if not isinstance(html, str) or not html:
        return
    message.add_alternative(html, subtype="html")
    images = payload.get("inline_images")
    if not isinstance(images, list):
        return
    parts = message.get_payload()
    html_part = parts[-1] if isinstance(parts, list) else None
    if not isinstance(html_part, EmailMessage):
        raise DeliveryError("the HTML part could not be built")
    for image in images[:MAX_INLINE_IMAGES]:
        if not isinstance(image, Mapping):
            continue
        cid, subtype = str(image.get("cid", "")), str(image.get("subtype", "png"))
        try:
            data = base64.b64decode(str(image.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            raise DeliveryError("an inline image is not valid base64") from None
        if not cid or not subtype.isalnum():
            raise DeliveryError("an inline image lacks a content id or a plain subtype")
        html_part.add_related(
            data, maintype="image", subtype=subtype, cid=f"<{cid}>", filename=f"{cid}.{subtype}"
        )


def _post(url: str, body: bytes, headers: dict[str, str], config: DeliveryConfig) -> None:
    timeout_s = config.timeout_s
    try:
        config.outbound.check_url(url)
    except OutboundRefusedError as exc:
        raise DeliveryError(f"target refused: {exc}") from None
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False
        )
    except httpx.TimeoutException:
        raise DeliveryError(f"no answer within {timeout_s:g} s") from None
    except httpx.ConnectError:
        raise DeliveryError("could not connect") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"request failed: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"receiver answered HTTP {response.status_code}")


def send_webhook(item: Outgoing, config: DeliveryConfig) -> None:
    body = orjson.dumps({"delivery_id": item.id, **item.payload})
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Groundswell-Webhook/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(config.webhook_secret, timestamp, body),
        DELIVERY_HEADER: str(item.id),
    }
    _post(item.target, body, headers, config)


def send_event(item: Outgoing, config: DeliveryConfig) -> None:
    """A domain event: the event itself as the body, signed with the subscription's secret.

    The body is the same on every attempt (its ``id`` lets a receiver drop a duplicate).
    """
    if item.secret_salt is None:
        raise DeliveryError("the subscription is gone")
    secret = subscription_secret(config.webhook_secret, item.secret_salt).encode()
    body = orjson.dumps(dict(item.payload))
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Groundswell-Webhook/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: str(item.id),
        EVENT_HEADER: item.event,
    }
    _post(item.target, body, headers, config)


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as markup; user text must not make links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(item: Outgoing) -> dict[str, Any]:
    alert = _alert(item)
    text = _slack_escape(_title(item))
    details = (
        f"*{_slack_escape(str(alert.get('subject')))}* · {alert.get('metric')} · "
        f"severity {alert.get('severity')} · status {alert.get('status')} · "
        f"alert #{alert.get('id')}"
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": details}]},
        ],
    }


def send_slack(item: Outgoing, config: DeliveryConfig) -> None:
    body = orjson.dumps(slack_message(item))
    _post(item.target, body, {"Content-Type": "application/json"}, config)


def send_in_app(item: Outgoing, config: DeliveryConfig) -> None:
    """Nothing to send: the Alerts page shows every alert live."""


SENDERS: dict[str, Sender] = {
    "email": send_email,
    "webhook": send_webhook,
    "slack": send_slack,
    "in_app": send_in_app,
    "event": send_event,
}
