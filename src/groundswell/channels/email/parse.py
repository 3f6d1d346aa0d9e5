"""RFC 5322 messages into ``InboundPost``-shaped dicts.

Threading follows the headers a mail client writes: ``In-Reply-To`` names the parent, and
when a client omits it the last ``References`` entry does. Message-IDs keep their angle
brackets so the stored external id is the literal header value the reply echoes back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

MAX_ID = 200
_MSGID = re.compile(r"<[^<>\s]{1,300}>")
_QUOTE_HEAD = re.compile(r"^\s*On .{0,300}wrote:\s*$")
_PARSER = BytesParser(policy=policy.default)


class MessageRejected(ValueError):
    """A message that cannot become a post (no sender, no text); the reason says why."""


def message_ids(value: str | None) -> list[str]:
    """The ``<id@host>`` tokens of a Message-ID, In-Reply-To or References header."""
    if not value:
        return []
    return [m for m in _MSGID.findall(str(value)) if len(m) <= MAX_ID]


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in {"br", "p", "div", "li", "tr"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def strip_quoted(text: str) -> str:
    """The customer's own words: drop ``>`` quoted lines and everything after "On … wrote:".

    Replies carry the whole thread below them; keeping it would score the company's own
    earlier answer as the customer's sentiment.
    """
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEAD.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return strip_quoted(content)


def parse_message(
    data: bytes,
    *,
    channel: str,
    fallback_id: str,
    received_at: datetime | None = None,
) -> dict[str, Any]:
    """One message as a post dict; raises ``MessageRejected`` naming what is missing."""
    msg = _PARSER.parsebytes(data)
    assert isinstance(msg, EmailMessage)
    senders = [(name, addr) for name, addr in getaddresses([str(msg.get("From", ""))]) if addr]
    if not senders or "@" not in senders[0][1]:
        raise MessageRejected("From: has no address")
    name, address = senders[0]
    address = address.strip().lower()[:320]
    own_ids = message_ids(msg.get("Message-ID"))
    external_id = own_ids[0] if own_ids else fallback_id
    parents = message_ids(msg.get("In-Reply-To"))
    references = message_ids(msg.get("References"))
    parent = parents[0] if parents else (references[-1] if references else None)
    subject = str(msg.get("Subject", "") or "").strip()
    text = body_text(msg) or subject
    if not text:
        raise MessageRejected("the message has neither text nor subject")
    created = _date(msg.get("Date")) or received_at or datetime.now(UTC)
    return {
        "channel": channel,
        "external_id": external_id,
        "direction": "in",
        "text": text,
        "created_at": created.isoformat(),
        "author": {
            "external_id": address,
            "handle": address,
            "display_name": (name or None) and name[:300],
            "email": address,
        },
        "reply_to_external_id": parent,
        "private": True,
        "raw": {
            "subject": subject[:1000],
            "message_id": external_id,
            "references": references[-20:],
            "to": str(msg.get("To", ""))[:1000],
        },
    }


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
