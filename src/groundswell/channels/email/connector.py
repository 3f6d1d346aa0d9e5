"""The e-mail connector: read a mailbox over IMAP, answer over SMTP.

Reading resumes from a ``"<UIDVALIDITY>:<last UID>"`` cursor. A server that changes the
mailbox's UIDVALIDITY has renumbered it, so the cursor restarts from the first message;
the pipeline's idempotence by (channel, Message-ID) absorbs the re-read.

Sending writes a ``Message-ID`` derived from the reply's idempotency key, so a retried or
in-doubt reply carries the same id every time. After SMTP accepts the message a copy is
appended to the Sent folder; ``lookup_sent`` searches that folder for the id. The window
between the two (SMTP accepted, process died before the append) can still send twice;
the second copy carries the same Message-ID, which mail stores treat as the same message.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from groundswell.channels.base import Capabilities, Fetched, Reply, SendError, SendResult
from groundswell.channels.email.parse import MessageRejected, message_ids, parse_message
from groundswell.channels.errors import NeedsReauth, SourceError

log = logging.getLogger(__name__)

BATCH = 100
"""Messages fetched per poll; the next poll continues from the saved cursor."""


@dataclass(frozen=True, slots=True)
class EmailConfig:
    address: str
    """The company address replies come from (and the default IMAP/SMTP login)."""
    imap_host: str | None = None
    imap_port: int = 993
    imap_ssl: bool = True
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_login: bool = True
    """Authenticate to SMTP with the same login (off for a relay that takes no AUTH)."""
    username: str | None = None
    password: str | None = None
    display_name: str | None = None
    inbox: str = "INBOX"
    sent_folder: str | None = "Sent"
    """Where sent copies are appended and ``lookup_sent`` searches; None: not kept."""
    timeout: float = 20.0

    @property
    def login(self) -> str:
        return self.username or self.address

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"

    def __repr__(self) -> str:  # never print the password
        return (
            f"EmailConfig(address={self.address!r}, imap={self.imap_host!r}, "
            f"smtp={self.smtp_host!r})"
        )


def message_id_for(idempotency_key: str, domain: str) -> str:
    """A stable ``<…@domain>`` id: the same reply always gets the same Message-ID."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}.gs@{domain}>"


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    validity, _, last = cursor.partition(":")
    try:
        return int(validity), int(last)
    except ValueError:
        return None


class EmailConnector:
    """``Connector`` and ``Source`` for one mailbox."""

    def __init__(self, config: EmailConfig, *, key: str = "email") -> None:
        self.key = key
        self.config = config

    def capabilities(self) -> Capabilities:
        return Capabilities(public=False, private=True, max_length=100_000, threading=True)

    # --- IMAP ---------------------------------------------------------------------------

    @contextmanager
    def _imap(self) -> Iterator[IMAPClient]:
        cfg = self.config
        if not cfg.imap_host:
            raise SourceError("no IMAP server configured", retryable=False)
        try:
            client = IMAPClient(
                cfg.imap_host,
                port=cfg.imap_port,
                ssl=cfg.imap_ssl,
                ssl_context=ssl.create_default_context() if cfg.imap_ssl else None,
                timeout=cfg.timeout,
            )
        except (OSError, IMAPClientError) as exc:
            raise SourceError(f"IMAP connect failed: {exc}") from exc
        try:
            try:
                client.login(cfg.login, cfg.password or "")
            except LoginError as exc:
                raise NeedsReauth("IMAP login refused") from exc
            yield client
        finally:
            with suppress(OSError, IMAPClientError):
                client.logout()

    def fetch(self, cursor: str | None) -> Fetched:
        """New messages after the cursor's UID, oldest first, at most ``BATCH``."""
        saved = parse_cursor(cursor)
        try:
            with self._imap() as client:
                info = client.select_folder(self.config.inbox, readonly=True)
                validity = int(info[b"UIDVALIDITY"])
                last = saved[1] if saved and saved[0] == validity else 0
                uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
                uids = uids[:BATCH]
                if not uids:
                    return Fetched(posts=[], cursor=f"{validity}:{last}")
                fetched = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        except (OSError, IMAPClientError) as exc:
            raise SourceError(f"IMAP read failed: {exc}") from exc
        return Fetched(posts=self._posts(uids, fetched, validity), cursor=f"{validity}:{uids[-1]}")

    def _posts(
        self, uids: list[int], fetched: dict[int, dict[bytes, Any]], validity: int
    ) -> list[dict[str, Any]]:
        posts: list[dict[str, Any]] = []
        for uid in uids:
            item = fetched.get(uid)
            if not item:
                continue
            received = item.get(b"INTERNALDATE")
            received_at = _aware(received) if isinstance(received, datetime) else None
            try:
                post = parse_message(
                    item[b"BODY[]"],
                    channel=self.key,
                    fallback_id=f"<uid-{validity}-{uid}@{self.config.imap_host}>",
                    received_at=received_at,
                )
            except MessageRejected as exc:
                log.info("email uid %s skipped: %s", uid, exc)
                continue
            if post["author"]["email"] == self.config.address.lower():
                continue  # our own copy (a reply CC'd or filed into the inbox)
            posts.append(post)
        return posts

    def backfill(self, since: datetime) -> Iterator[list[dict[str, Any]]]:
        """Messages received since ``since`` (IMAP ``SINCE``, day precision), in batches."""
        try:
            with self._imap() as client:
                info = client.select_folder(self.config.inbox, readonly=True)
                validity = int(info[b"UIDVALIDITY"])
                uids = sorted(client.search(["SINCE", since.date()]))
                for start in range(0, len(uids), BATCH):
                    chunk = uids[start : start + BATCH]
                    fetched = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
                    yield self._posts(chunk, fetched, validity)
        except (OSError, IMAPClientError) as exc:
            raise SourceError(f"IMAP read failed: {exc}") from exc

    def check(self) -> str:
        """Log in to both servers without reading or sending anything."""
        done: list[str] = []
        if self.config.imap_host:
            with self._imap() as client:
                client.select_folder(self.config.inbox, readonly=True)
            done.append("IMAP login and inbox ok")
        if self.config.smtp_host:
            try:
                with self._smtp() as smtp:
                    smtp.noop()
            except SendError as exc:
                raise SourceError(exc.reason, retryable=exc.retryable) from exc
            done.append("SMTP ok")
        return "; ".join(done) or "nothing configured"

    # --- SMTP ---------------------------------------------------------------------------

    @contextmanager
    def _smtp(self) -> Iterator[smtplib.SMTP]:
        cfg = self.config
        if not cfg.smtp_host:
            raise SendError("no SMTP server configured", retryable=False)
        try:
            smtp: smtplib.SMTP
            if cfg.smtp_ssl:
                smtp = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout)
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout)
            with smtp:
                if cfg.smtp_starttls and not cfg.smtp_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.smtp_login and cfg.password:
                    smtp.login(cfg.login, cfg.password)
                yield smtp
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError("SMTP login refused", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc.recipients}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            retryable = 400 <= exc.smtp_code < 500
            raise SendError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=retryable
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP failed: {exc}", retryable=True) from exc

    def build_message(self, reply: Reply) -> EmailMessage:
        if not reply.recipient or "@" not in reply.recipient:
            raise SendError("an e-mail reply needs a recipient address", retryable=False)
        cfg = self.config
        msg = EmailMessage()
        msg["From"] = formataddr((cfg.display_name or "", cfg.address))
        msg["To"] = reply.recipient
        subject = (reply.subject or "").strip() or "Your message"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id_for(reply.idempotency_key, cfg.domain)
        parent = message_ids(reply.in_reply_to_external_id)
        refs = [r for ref in reply.references for r in message_ids(ref)]
        if parent:
            msg["In-Reply-To"] = parent[0]
            if parent[0] not in refs:
                refs.append(parent[0])
        if refs:
            msg["References"] = " ".join(refs[-20:])
        msg.set_content(reply.text)
        return msg

    def send_reply(self, reply: Reply) -> SendResult:
        msg = self.build_message(reply)
        with self._smtp() as smtp:
            smtp.send_message(msg)
        message_id = str(msg["Message-ID"])
        self._file_sent(msg)
        return SendResult(external_id=message_id)

    def _file_sent(self, msg: EmailMessage) -> None:
        folder = self.config.sent_folder
        if not folder or not self.config.imap_host:
            return
        try:
            with self._imap() as client:
                client.append(folder, msg.as_bytes(), flags=(b"\\Seen",))
        except (SourceError, OSError, IMAPClientError) as exc:
            log.warning("sent copy of %s not filed in %s: %s", msg["Message-ID"], folder, exc)

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        folder = self.config.sent_folder
        if not folder or not self.config.imap_host:
            raise SendError(
                "no Sent folder configured: cannot tell whether this e-mail went out",
                retryable=False,
            )
        message_id = message_id_for(reply.idempotency_key, self.config.domain)
        try:
            with self._imap() as client:
                client.select_folder(folder, readonly=True)
                found = client.search(["HEADER", "Message-ID", message_id])
        except NeedsReauth as exc:
            raise SendError(exc.reason, retryable=False) from exc
        except (SourceError, OSError, IMAPClientError) as exc:
            raise SendError(f"Sent folder search failed: {exc}", retryable=True) from exc
        return SendResult(external_id=message_id) if found else None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
