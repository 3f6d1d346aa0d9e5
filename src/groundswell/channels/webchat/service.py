"""Web chat storage: conversations, visitor messages and delivered replies.

Functions take a session and never commit. Both directions are idempotent on their own
key: a visitor message on (conversation, client id), a reply on its idempotency key, so
a widget that re-sends after a timeout and a sender that retries after a crash each
leave exactly one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groundswell.channels.base import Reply, SendError
from groundswell.channels.webchat.models import WebchatConversation, WebchatMessage
from groundswell.channels.webchat.schemas import MessageIn, MessageOut, StartIn
from groundswell.channels.webchat.tokens import new_ref, new_token, token_hash

PAGE = 100


def start_conversation(
    session: Session, *, channel_key: str, data: StartIn, origin: str | None, now: datetime
) -> tuple[WebchatConversation, str]:
    """A new conversation and the visitor's token (returned once, stored as a hash)."""
    token = new_token()
    conversation = WebchatConversation(
        channel_key=channel_key,
        ref=new_ref(),
        token_hash=token_hash(token),
        email=data.email,
        name=data.name,
        consent=data.consent,
        origin=(origin or None) and origin[:300],
        created_at=now,
        last_message_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation, token


def conversation_of(
    session: Session, *, channel_key: str, token: str
) -> WebchatConversation | None:
    return session.scalar(
        select(WebchatConversation).where(
            WebchatConversation.token_hash == token_hash(token),
            WebchatConversation.channel_key == channel_key,
        )
    )


def add_visitor_message(
    session: Session, *, conversation: WebchatConversation, data: MessageIn, now: datetime
) -> tuple[WebchatMessage, bool]:
    """The stored message and whether it is new (False: a re-send of the same client id)."""
    found = _by_client_id(session, conversation.id, data.client_id)
    if found is not None:
        return found, False
    message = WebchatMessage(
        conversation_id=conversation.id,
        direction="in",
        external_id=f"{conversation.ref}:{data.client_id}",
        client_id=data.client_id,
        text=data.text,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the same re-send, committed by a concurrent request
        found = _by_client_id(session, conversation.id, data.client_id)
        if found is None:
            raise
        return found, False
    conversation.last_message_at = now
    return message, True


def _by_client_id(session: Session, conversation_id: int, client_id: str) -> WebchatMessage | None:
    return session.scalar(
        select(WebchatMessage).where(
            WebchatMessage.conversation_id == conversation_id,
            WebchatMessage.client_id == client_id,
        )
    )


def messages_since(
    session: Session, *, conversation: WebchatConversation, after: int, limit: int = PAGE
) -> list[MessageOut]:
    rows = session.scalars(
        select(WebchatMessage)
        .where(WebchatMessage.conversation_id == conversation.id, WebchatMessage.id > after)
        .order_by(WebchatMessage.id)
        .limit(limit)
    )
    return [
        MessageOut(
            id=r.id,
            direction="out" if r.direction == "out" else "in",
            text=r.text,
            created_at=r.created_at,
            client_id=r.client_id,
        )
        for r in rows
    ]


def delivered(session: Session, *, reply: Reply) -> WebchatMessage | None:
    return session.scalar(
        select(WebchatMessage).where(WebchatMessage.idempotency_key == reply.idempotency_key)
    )


def _target(session: Session, reply: Reply) -> WebchatConversation | None:
    """The conversation a reply answers: the one holding the answered message, else the
    recipient's latest conversation on this channel."""
    if reply.in_reply_to_external_id:
        found = session.scalar(
            select(WebchatConversation)
            .join(WebchatMessage, WebchatMessage.conversation_id == WebchatConversation.id)
            .where(
                WebchatMessage.external_id == reply.in_reply_to_external_id,
                WebchatConversation.channel_key == reply.channel,
            )
        )
        if found is not None:
            return found
    if not reply.recipient:
        return None
    return session.scalar(
        select(WebchatConversation)
        .where(
            WebchatConversation.channel_key == reply.channel,
            WebchatConversation.email == reply.recipient.strip().lower(),
        )
        .order_by(WebchatConversation.last_message_at.desc(), WebchatConversation.id.desc())
        .limit(1)
    )


def deliver_reply(session: Session, *, reply: Reply, now: datetime) -> WebchatMessage:
    """Store an agent's reply in its conversation, once per idempotency key."""
    found = delivered(session, reply=reply)
    if found is not None:
        return found
    conversation = _target(session, reply)
    if conversation is None:
        raise SendError(
            f"no web chat conversation for {reply.in_reply_to_external_id or reply.recipient!r}",
            retryable=False,
        )
    message = WebchatMessage(
        conversation_id=conversation.id,
        direction="out",
        external_id=f"{conversation.ref}:reply:{reply.idempotency_key}"[:200],
        idempotency_key=reply.idempotency_key[:200],
        text=reply.text,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    return message
