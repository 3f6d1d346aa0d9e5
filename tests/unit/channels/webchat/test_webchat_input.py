"""The widget's input rules and the visitor's token, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from groundswell.channels.webchat.connector import WebchatSettings, origin_of
from groundswell.channels.webchat.models import WebchatConversation, WebchatMessage
from groundswell.channels.webchat.posts import inbound_post
from groundswell.channels.webchat.schemas import MessageIn, StartIn, normal_email
from groundswell.channels.webchat.tokens import (
    TOKEN_SHAPE,
    bearer_token,
    new_token,
    token_hash,
)
from groundswell.ingestion.schemas import InboundPost


def _field(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return ".".join(str(p) for p in exc.value.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Maria.Lopez@Example.ORG", "maria.lopez@example.org"),
        ("  a+tag@mail.example.co.uk ", "a+tag@mail.example.co.uk"),
    ],
)
def test_emails_are_normalised(given: str, expected: str) -> None:
    assert normal_email(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-at-sign",
        "a@b",
        "a@@b.co",
        "a b@c.co",
        "a..b@c.co",
        "<x>@c.co",
        "a@" + "b" * 250 + ".co",
    ],
)
def test_bad_emails_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="valid e-mail"):
        normal_email(bad)


def test_start_names_the_field_it_refuses() -> None:
    with pytest.raises(ValidationError) as err:
        StartIn.model_validate({"email": "nope"})
    assert _field(err) == "email"
    with pytest.raises(ValidationError) as err:
        StartIn.model_validate({"email": "a@b.co", "name": "x" * 101})
    assert _field(err) == "name"
    with pytest.raises(ValidationError) as err:
        StartIn.model_validate({"email": "a@b.co", "admin": True})
    assert _field(err) == "admin"
    start = StartIn.model_validate({"email": "A@B.co", "name": " \x07 ", "consent": True})
    assert (start.email, start.name, start.consent) == ("a@b.co", None, True)


def test_messages_are_bounded_and_keep_their_text_as_written() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    assert MessageIn.model_validate({"client_id": "abcd1234", "text": hostile}).text == hostile
    for body, field in [
        ({"client_id": "abc", "text": "hi"}, "client_id"),
        ({"client_id": "abcd1234/", "text": "hi"}, "client_id"),
        ({"client_id": "abcd1234", "text": " \x00 "}, "text"),
        ({"client_id": "abcd1234", "text": "x" * 2001}, "text"),
    ]:
        with pytest.raises(ValidationError) as err:
            MessageIn.model_validate(body)
        assert _field(err) == field


def test_tokens_are_random_well_formed_and_stored_as_hashes() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(TOKEN_SHAPE.fullmatch(t) for t in tokens)
    token = next(iter(tokens))
    assert token_hash(token) != token and len(token_hash(token)) == 64
    assert bearer_token(f"Bearer {token}") == token
    assert bearer_token(f"bearer  {token} ") == token
    for bad in [None, "", token, f"Basic {token}", f"Bearer {token}x", "Bearer " + "!" * 43]:
        assert bearer_token(bad) is None


def test_allowed_origins_are_normalised_and_only_origins() -> None:
    assert origin_of("HTTPS://Shop.Example.com/") == "https://shop.example.com"
    assert origin_of("http://localhost:8080") == "http://localhost:8080"
    for bad in [
        "shop.example.com",
        "ftp://x.example",
        "https://x.example/path",
        "https://u@x.example",
    ]:
        with pytest.raises(ValueError):
            origin_of(bad)
    settings = WebchatSettings.model_validate(
        {"allowed_origins": ["https://a.example/", "https://a.example"]}
    )
    assert settings.allowed_origins == ["https://a.example"]
    assert len(settings.public_key) >= 16
    with pytest.raises(ValidationError) as err:
        WebchatSettings.model_validate({"allowed_origins": ["javascript:alert(1)"]})
    assert _field(err) == "allowed_origins"


def test_a_visitor_message_is_a_private_post_keyed_by_the_email() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    conversation = WebchatConversation(
        ref="chat-abc", email="maria@example.org", name="Maria", consent=True, origin=None
    )
    message = WebchatMessage(external_id="chat-abc:abcd1234", text="hello", created_at=now)
    post = InboundPost.model_validate(inbound_post("webchat", conversation, message))
    assert post.channel == "webchat" and post.external_id == "chat-abc:abcd1234"
    assert post.reply_to_external_id == "chat-abc"
    assert (post.author.external_id, post.author.email) == ("maria@example.org",) * 2
    assert post.author.display_name == "Maria"
    assert post.private is True
