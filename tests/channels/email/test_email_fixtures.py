"""One test per RFC 5322 fixture: each real-shaped message becomes the right post."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell.channels.email.parse import MessageRejected, parse_message
from groundswell.ingestion.schemas import InboundPost

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str) -> dict[str, object]:
    post = parse_message(
        (FIXTURES / name).read_bytes(), channel="email", fallback_id="<uid-1-7@imap.test>"
    )
    InboundPost.model_validate(post)  # every parsed message passes the pipeline's edge
    return post


def test_new_message() -> None:
    post = _parse("new_message.eml")
    assert post["external_id"] == "<CAF=order4411.1@mail.example.org>"
    assert post["reply_to_external_id"] is None
    assert post["author"] == {
        "external_id": "maria.lopez@example.org",
        "handle": "maria.lopez@example.org",
        "display_name": "Maria Lopez",
        "email": "maria.lopez@example.org",
    }
    assert str(post["text"]).startswith("Hello,\n\nI ordered a kettle")
    assert post["created_at"] == "2024-09-10T08:13:58+00:00"
    assert post["raw"]["subject"] == "My order #4411 never arrived"  # type: ignore[index]
    assert post["private"] is True  # whatever the channel's key: a mailbox may be "support"


def test_reply_threads_on_in_reply_to_and_drops_the_quote() -> None:
    post = _parse("reply_with_quote.eml")
    assert post["reply_to_external_id"] == "<a1b2c3.gs@example.com>"
    assert post["text"] == "Thanks, it arrived this morning. Great service!"
    assert post["author"]["email"] == "maria.lopez@example.org"  # type: ignore[index]
    assert post["raw"]["references"] == [  # type: ignore[index]
        "<CAF=order4411.1@mail.example.org>",
        "<a1b2c3.gs@example.com>",
    ]


def test_multipart_alternative_prefers_plain_and_decodes_quoted_printable() -> None:
    post = _parse("multipart_alternative_qp.eml")
    assert post["text"] == (
        "Meine Rückerstattung ist seit drei Wochen nicht angekommen. Sehr enttäuschend."
    )
    assert post["author"]["display_name"] == "Jürgen Müller"  # type: ignore[index]
    assert post["raw"]["subject"] == "Rückerstattung fehlt"  # type: ignore[index]


def test_html_only_becomes_text_without_script_or_style() -> None:
    post = _parse("html_only.eml")
    assert "alert(1)" not in str(post["text"])
    assert "color:red" not in str(post["text"])
    assert "The link in your newsletter is broken." in str(post["text"])
    assert "Please fix & resend." in str(post["text"])


def test_missing_message_id_uses_the_mailbox_uid() -> None:
    post = _parse("missing_message_id.eml")
    assert post["external_id"] == "<uid-1-7@imap.test>"


def test_missing_from_is_refused_with_the_reason() -> None:
    with pytest.raises(MessageRejected, match="From"):
        parse_message(
            (FIXTURES / "missing_from.eml").read_bytes(), channel="email", fallback_id="<x@y>"
        )
