"""Which connectors can be connected, and how an account's settings build one.

A kind declares a pydantic model of its settings (validated when an admin saves them,
so a bad port or URL is a 422 naming the field), which of those fields are secrets (kept
only in the encrypted credentials), and a ``build`` that returns the connector and the
sources the runner reads. Adding a network is one ``register_kind`` call in its package;
see docs/adding-a-connector.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from groundswell.channels.base import Connector, Source, WebhookSource


@dataclass
class Built:
    connector: Connector
    sources: dict[str, tuple[Source, str]] = field(default_factory=dict)
    """Source name → (source, activity), activity being search, mentions or dms."""
    poll_seconds: dict[str, float] = field(default_factory=dict)
    """Pause between fetches per source (0: read continuously, e.g. a stream)."""
    webhook: WebhookSource | None = None
    """What parses the network's pushes to ``POST /api/v1/webhooks/<key>`` (SMS, Meta)."""

    def close(self) -> None:
        closer = getattr(self.connector, "close", None)
        if callable(closer):
            closer()
        for source, _activity in self.sources.values():
            closer = getattr(source, "close", None)
            if callable(closer):
                closer()
        if self.webhook is not None and id(self.webhook) != id(self.connector):
            closer = getattr(self.webhook, "close", None)
            if callable(closer):
                closer()


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    settings: type[BaseModel]
    secret_fields: tuple[str, ...]
    build: Callable[[str, Any], Built]
    """(channel key, validated settings) → the connector and its sources."""
    default_key: str
    example: dict[str, Any] = field(default_factory=dict)
    """Settings shown in the connect form (secrets excluded: they have their own fields)."""
    outbound_fields: tuple[str, ...] = ()
    """URL settings that pass the outbound guard (``core/outbound.py``) when saved, when
    the connection is tested and before the source connects (``runtime/outbound.py``)."""


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    _KINDS[kind.name] = kind


def get_kind(name: str) -> Kind:
    _load_builtin()
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"unknown connector kind {name!r}") from None


def all_kinds() -> list[Kind]:
    _load_builtin()
    return [_KINDS[k] for k in sorted(_KINDS)]


# --- built-in kinds ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmailSettings(_Strict):
    address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_ssl: bool = True
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_login: bool = True
    username: str | None = Field(default=None, max_length=320)
    display_name: str | None = Field(default=None, max_length=200)
    inbox: str = Field(default="INBOX", min_length=1, max_length=200)
    sent_folder: str | None = Field(default="Sent", max_length=200)
    poll_seconds: float = Field(default=30.0, ge=1, le=86_400)
    password: str | None = Field(default=None, max_length=1000)


def _build_email(key: str, s: EmailSettings) -> Built:
    from groundswell.channels.email import EmailConfig, EmailConnector

    values = s.model_dump(exclude={"poll_seconds"})
    connector = EmailConnector(EmailConfig(**values), key=key)
    sources: dict[str, tuple[Source, str]] = {}
    if s.imap_host:
        sources["inbox"] = (connector, "dms")
    return Built(connector, sources, {"inbox": s.poll_seconds})


class XSettings(_Strict):
    user_id: str = Field(min_length=1, max_length=32, pattern=r"^[0-9]+$")
    username: str | None = Field(default=None, max_length=50)
    base_url: HttpUrl = HttpUrl("https://api.x.com")
    mentions: bool = True
    stream: bool = False
    direct_messages: bool = False
    dms_poll_seconds: float = Field(default=60.0, ge=1, le=86_400)
    mentions_poll_seconds: float = Field(default=60.0, ge=1, le=86_400)
    stream_backfill_minutes: int = Field(default=0, ge=0, le=5)
    standin: bool = False
    """The account talks to the local stand-in (shown on the channels page and thread)."""
    access_token: str = Field(min_length=1, max_length=4000)
    app_token: str | None = Field(default=None, max_length=4000)


def _build_x(key: str, s: XSettings) -> Built:
    from groundswell.channels.x import XConfig, XConnector

    connector = XConnector(
        XConfig(
            user_id=s.user_id,
            access_token=s.access_token,
            app_token=s.app_token,
            base_url=str(s.base_url),
            username=s.username,
            stream_backfill_minutes=s.stream_backfill_minutes,
        ),
        key=key,
    )
    sources: dict[str, tuple[Source, str]] = {}
    if s.mentions:
        sources["mentions"] = (connector.mentions(), "mentions")
    if s.stream:
        sources["stream"] = (connector.stream(), "search")
    if s.direct_messages:
        sources["dms"] = (connector.direct_messages(), "dms")
    polls = {"mentions": s.mentions_poll_seconds, "stream": 0.0, "dms": s.dms_poll_seconds}
    return Built(connector, sources, polls)


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    register_kind(
        Kind(
            "email",
            "E-mail (IMAP/SMTP)",
            EmailSettings,
            ("password",),
            _build_email,
            "email",
            {
                "address": "support@example.com",
                "imap_host": "imap.example.com",
                "smtp_host": "smtp.example.com",
            },
        )
    )
    register_kind(
        Kind(
            "x",
            "X (Twitter API v2)",
            XSettings,
            ("access_token", "app_token"),
            _build_x,
            "twitter",
            {"user_id": "1234567890", "username": "yourbrand", "stream": True},
            outbound_fields=("base_url",),
        )
    )
    from groundswell.channels.runtime.open_kinds import OPEN_KINDS

    for kind in OPEN_KINDS:
        register_kind(kind)
    from groundswell.channels.webchat.kind import WEBCHAT

    register_kind(WEBCHAT)
