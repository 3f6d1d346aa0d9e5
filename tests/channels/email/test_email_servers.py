"""The e-mail connector against real servers: Dovecot over IMAP, aiosmtpd over SMTP."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from imapclient import IMAPClient

from groundswell.channels.base import Reply, SendError
from groundswell.channels.email import EmailConfig, EmailConnector
from groundswell.channels.email.connector import message_id_for
from groundswell.channels.errors import NeedsReauth
from mail_servers import Dovecot, SmtpSink

FIXTURES = Path(__file__).parent / "fixtures"


def _deliver(dovecot: Dovecot, address: str, password: str, *names: str) -> None:
    """Put fixture messages in the INBOX as a delivery agent would."""
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, password)
        for name in names:
            client.append("INBOX", (FIXTURES / name).read_bytes())


def _connector(
    dovecot: Dovecot, address: str, password: str, smtp_port: int | None = None, **kw: object
) -> EmailConnector:
    config = EmailConfig(
        address=address,
        password=password,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_ssl=False,
        smtp_host="127.0.0.1" if smtp_port else None,
        smtp_port=smtp_port or 25,
        smtp_starttls=False,
        smtp_login=False,
        **kw,  # type: ignore[arg-type]
    )
    return EmailConnector(config)


def test_fetch_resumes_from_the_uid_cursor(dovecot: Dovecot) -> None:
    address, password = dovecot.add_user()
    _deliver(dovecot, address, password, "new_message.eml", "multipart_alternative_qp.eml")
    conn = _connector(dovecot, address, password)

    first = conn.fetch(None)
    assert [p["external_id"] for p in first.posts] == [
        "<CAF=order4411.1@mail.example.org>",
        "<20240912143000.77@example.de>",
    ]
    validity, _, last = (first.cursor or "").partition(":")
    assert int(last) == 2

    again = conn.fetch(first.cursor)
    assert again.posts == []
    assert again.cursor == first.cursor

    _deliver(dovecot, address, password, "reply_with_quote.eml")
    third = conn.fetch(first.cursor)
    assert [p["reply_to_external_id"] for p in third.posts] == ["<a1b2c3.gs@example.com>"]
    assert third.cursor == f"{validity}:3"


def test_a_changed_uidvalidity_rereads_from_the_start(dovecot: Dovecot) -> None:
    address, password = dovecot.add_user()
    _deliver(dovecot, address, password, "new_message.eml")
    conn = _connector(dovecot, address, password)
    first = conn.fetch(None)
    validity = int((first.cursor or "0").partition(":")[0])
    stale = f"{validity + 1}:1"  # as if the server renumbered the mailbox
    reread = conn.fetch(stale)
    assert [p["external_id"] for p in reread.posts] == ["<CAF=order4411.1@mail.example.org>"]


def test_wrong_password_needs_reauth(dovecot: Dovecot) -> None:
    address, _password = dovecot.add_user()
    conn = _connector(dovecot, address, "not-the-password")
    with pytest.raises(NeedsReauth):
        conn.fetch(None)


def test_reply_is_threaded_sent_and_filed(
    dovecot: Dovecot, smtp_server: tuple[int, SmtpSink]
) -> None:
    port, sink = smtp_server
    address, password = dovecot.add_user()
    conn = _connector(dovecot, address, password, smtp_port=port)
    reply = Reply(
        channel="email",
        text="Sorry about the delay, we have sent a replacement.",
        idempotency_key="reply-42",
        visibility="private",
        in_reply_to_external_id="<CAF=order4411.1@mail.example.org>",
        recipient="maria.lopez@example.org",
        subject="Re: My order #4411 never arrived",
        references=("<CAF=order4411.0@mail.example.org>",),
    )
    assert conn.lookup_sent(reply) is None

    result = conn.send_reply(reply)

    expected_id = message_id_for("reply-42", "example.com")
    assert result.external_id == expected_id
    assert len(sink.messages) == 1
    mail_from, rcpts, raw = sink.messages[0]
    assert (mail_from, rcpts) == (address, ["maria.lopez@example.org"])
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Message-ID"] == expected_id
    assert msg["In-Reply-To"] == "<CAF=order4411.1@mail.example.org>"
    assert str(msg["References"]).split() == [
        "<CAF=order4411.0@mail.example.org>",
        "<CAF=order4411.1@mail.example.org>",
    ]
    assert msg["Subject"] == "Re: My order #4411 never arrived"
    # lookup_sent finds the filed copy, so an in-doubt retry is not sent again
    found = conn.lookup_sent(reply)
    assert found is not None and found.external_id == expected_id


def test_lookup_sent_without_a_sent_folder_refuses_to_guess(dovecot: Dovecot) -> None:
    address, password = dovecot.add_user()
    conn = _connector(dovecot, address, password, sent_folder=None)
    reply = Reply(channel="email", text="x", idempotency_key="k", recipient="a@b.c")
    with pytest.raises(SendError) as err:
        conn.lookup_sent(reply)
    assert err.value.retryable is False


def test_refused_recipient_is_not_retried(smtp_server: tuple[int, SmtpSink]) -> None:
    port, _sink = smtp_server
    conn = EmailConnector(
        EmailConfig(
            address="support@example.com",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
        )
    )
    with pytest.raises(SendError) as err:
        conn.send_reply(Reply(channel="email", text="hi", idempotency_key="k", recipient=None))
    assert err.value.retryable is False


def test_a_dead_smtp_server_is_retryable() -> None:
    from mail_servers import free_port

    conn = EmailConnector(
        EmailConfig(
            address="support@example.com",
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_starttls=False,
            timeout=2,
        )
    )
    with pytest.raises(SendError) as err:
        conn.send_reply(Reply(channel="email", text="hi", idempotency_key="k", recipient="a@b.c"))
    assert err.value.retryable is True
