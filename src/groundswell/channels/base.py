"""The connector protocol: a network's payloads in, a ``Reply`` out, declared capabilities.

Kept as small as httpx's transport base on purpose. A connector knows nothing of cases,
contacts or rules: it turns a network's payloads into ``InboundPost``-shaped dicts and a
``Reply`` into one API call, and says what the network allows (``Capabilities``) so the
composer can refuse a reply before anything is queued.

Exactly-once delivery rests on two things a connector provides: every ``Reply`` carries an
``idempotency_key`` the connector passes to networks that honour one (Mastodon's
``Idempotency-Key``, an e-mail's ``Message-ID``), and ``lookup_sent`` lets the sender ask the
network whether an in-doubt reply (sent, but the commit that records it never happened) is
already there, so a restarted sender never posts twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol, runtime_checkable

Visibility = Literal["public", "private"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a network allows a reply to be, shown in the composer before sending."""

    public: bool
    """Replies on this channel can be seen by anyone (a tweet, a toot, a comment)."""
    private: bool
    """The channel has private messages (DMs, e-mail, SMS, chat)."""
    max_length: int
    """Longest reply text in characters (as the network counts them)."""
    reply_window: timedelta | None = None
    """How long after the customer's last message a reply is still allowed (None: always)."""
    attachments: bool = False
    threading: bool = True
    """Replies attach to the message they answer (reply refs, In-Reply-To)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One outbound message, as the sender hands it to a connector."""

    channel: str
    text: str
    idempotency_key: str
    """Stable for the life of the reply: retries and restarts send the same key."""
    visibility: Visibility = "public"
    in_reply_to_external_id: str | None = None
    """The network's id of the message answered (tweet id, status id, Message-ID…)."""
    recipient: str | None = None
    """Handle, address or number the reply goes to (needed for DMs, e-mail and SMS)."""
    account: str | None = None
    """Which of the company's accounts on the network speaks (None: the channel default)."""
    subject: str | None = None
    references: tuple[str, ...] = ()
    """For e-mail: the thread's Message-IDs, oldest first (``References``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the network answered for a sent reply."""

    external_id: str
    url: str | None = None


class SendError(Exception):
    """The network refused or failed a reply. ``retryable`` says whether to try again."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Fetched:
    """One poll's worth of inbound posts and where to resume.

    ``posts`` are dicts in the ``InboundPost`` shape (ingestion validates them; a connector
    does not import ingestion). ``cursor`` is saved only after the posts are published, so
    a crash re-reads and the pipeline's idempotence by (channel, external id) absorbs it.
    """

    posts: list[dict[str, Any]]
    cursor: str | None
    retry_after: float | None = None
    """Seconds the network asked us to wait (rate limit), if it said."""


@runtime_checkable
class Source(Protocol):
    """A network we read by polling or streaming from a saved cursor."""

    key: str

    def fetch(self, cursor: str | None) -> Fetched: ...


class WebhookRejected(Exception):
    """A webhook delivery that is refused: bad signature, replayed, malformed. Never a 500."""

    def __init__(self, reason: str, *, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@runtime_checkable
class WebhookSource(Protocol):
    """A network that pushes to us. ``parse_webhook`` verifies, then turns the body into posts."""

    key: str

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        """Posts in the ``InboundPost`` shape; raise ``WebhookRejected`` to refuse."""
        ...


@runtime_checkable
class Connector(Protocol):
    """One network. Implementations live in ``channels/<network>/connector.py``."""

    key: str
    """The channel slug posts carry (``twitter``, ``email``, ``mastodon``…)."""

    def capabilities(self) -> Capabilities: ...

    def send_reply(self, reply: Reply) -> SendResult:
        """Post ``reply``; raise ``SendError`` on refusal or failure."""
        ...

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        """The reply's result if the network already has it, else None.

        Called only for in-doubt replies. A network that cannot tell raises ``SendError``
        with ``retryable=False``: the sender then marks the reply for a person to check
        instead of risking a second post.
        """
        ...
