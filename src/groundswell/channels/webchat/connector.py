"""The web chat connector: a reply is stored in the visitor's conversation.

The "network" is our own table (``webchat_messages``), so sending is one insert keyed by
the reply's idempotency key, committed in its own transaction, and ``lookup_sent`` can
always tell whether an in-doubt reply is there: a restarted sender never stores a reply
twice. The widget fetches it on its next poll.

The connector writes to the app's database, which ``build`` does not know; the runtime
hands it the process settings through ``bind_settings`` (see ``runtime.bootstrap``).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError

from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.channels.webchat import service
from groundswell.channels.webchat.schemas import MAX_MESSAGE
from groundswell.channels.webchat.tokens import new_public_key
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.settings import Settings

_DATABASES: dict[str, Database] = {}
_LOCK = threading.Lock()


def origin_of(value: str) -> str:
    """``scheme://host[:port]`` of an allowed origin, or ValueError naming what is wrong."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:100]!r} is not an http(s) origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value[:100]!r} must be only scheme://host[:port]")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class WebchatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    """Sites that may embed the widget (``https://www.example.com``); the app's own
    origin is always allowed (the demo page)."""
    greeting: str = Field(default="Hi! How can we help?", min_length=1, max_length=300)
    public_key: str = Field(default_factory=new_public_key, pattern=r"^[A-Za-z0-9_-]{16,64}$")
    """Names the channel in the embed tag; public, not a secret."""
    poll_seconds: int = Field(default=3, ge=2, le=60)
    """How often an open widget asks for new messages."""
    standin: bool = False

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return sorted({origin_of(v[:300]) for v in values})


class WebchatConnector:
    def __init__(self, key: str, settings: WebchatSettings, *, db: Database | None = None):
        self.key = key
        self.settings = settings
        self._db = db

    def bind_settings(self, settings: Settings) -> None:
        if self._db is None:
            with _LOCK:
                found = _DATABASES.get(settings.database_url)
                if found is None:
                    found = _DATABASES[settings.database_url] = Database(settings)
            self._db = found

    def _database(self) -> Database:
        if self._db is None:
            raise SendError("web chat connector has no database", retryable=True)
        return self._db

    def capabilities(self) -> Capabilities:
        return Capabilities(public=False, private=True, max_length=MAX_MESSAGE)

    def send_reply(self, reply: Reply) -> SendResult:
        if not reply.text.strip():
            raise SendError("the reply is empty", retryable=False)
        if len(reply.text) > MAX_MESSAGE:
            raise SendError(
                f"a chat message holds at most {MAX_MESSAGE} characters", retryable=False
            )
        try:
            with self._database().session(write=True) as session:
                message = service.deliver_reply(session, reply=reply, now=utcnow())
                external_id = message.external_id
        except SQLAlchemyError as exc:  # a retry finds the row by its key if it was stored
            raise SendError(f"web chat store failed: {type(exc).__name__}", retryable=True) from exc
        return SendResult(external_id=external_id)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        with self._database().session() as session:
            found = service.delivered(session, reply=reply)
            return SendResult(external_id=found.external_id) if found is not None else None

    def check(self) -> str:
        origins = ", ".join(self.settings.allowed_origins) or "this app only"
        return f"widget key {self.settings.public_key}; embeddable on {origins}"
