"""A web chat visitor's consent box becomes a consent record on their contact.

The widget asks, before the first message, whether the visitor agrees to be contacted
later by e-mail; the answer is kept on the conversation (``WebchatConversation.consent``).
The identity it belongs to only exists once the pipeline has stored one of the
conversation's messages, so the record is written here, in the remember transaction, for
the posts whose ``raw`` says ``consent`` — and only when the conversation itself says so:
``raw`` is a hint that selects the conversations to look at, the stored conversation is
the truth (a post claiming consent for someone else's chat records nothing).

Each conversation gives one ``marketing`` statement, ``source`` ``webchat:<ref>``, dated
when the conversation started (when the box was ticked). Every message of the
conversation carries the flag and a widget may re-send, so the statement is written only
if that identity has none from that conversation yet; the conversation row is locked
first, so two workers storing two messages of one chat cannot both write it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.webchat.models import WebchatConversation
from groundswell.crm.consent import record_consent
from groundswell.crm.consent_models import Consent
from groundswell.crm.models import Identity
from groundswell.ingestion.schemas import InboundPost

PURPOSE = "marketing"
"""Agreeing to be contacted later, unasked, is the ``marketing`` purpose; answering the
chat itself needs no consent record."""
SOURCE_PREFIX = "webchat:"


def source_of(ref: str) -> str:
    return f"{SOURCE_PREFIX}{ref}"


def record_chat_consents(session: Session, posts: Sequence[InboundPost]) -> int:
    """Record the consent of each conversation these posts belong to that ticked the box
    and has no record yet; returns how many were recorded. The caller commits."""
    wanted: dict[str, tuple[str, str]] = {}
    """Conversation ref → (channel key, author external id) of a visitor message."""
    for post in posts:
        raw = post.raw or {}
        ref = raw.get("conversation")
        if post.direction == "in" and raw.get("consent") is True and isinstance(ref, str):
            wanted.setdefault(ref[:40], (post.channel, post.author.external_id))
    if not wanted:
        return 0
    conversations = session.scalars(
        select(WebchatConversation)
        .where(WebchatConversation.ref.in_(sorted(wanted)), WebchatConversation.consent.is_(True))
        .order_by(WebchatConversation.id)
        .with_for_update()
    ).all()
    recorded = 0
    for conversation in conversations:
        channel, author = wanted[conversation.ref]
        if conversation.channel_key != channel or author.strip().lower() != conversation.email:
            continue  # not a message of this conversation's visitor
        identity_id = session.scalar(
            select(Identity.id).where(Identity.platform == channel, Identity.external_id == author)
        )
        if identity_id is None:
            continue  # nothing of the conversation stored yet: a later message records it
        source = source_of(conversation.ref)
        known = session.scalar(
            select(Consent.id)
            .where(Consent.identity_id == identity_id, Consent.source == source)
            .limit(1)
        )
        if known is not None:
            continue
        record_consent(
            session,
            identity_id=identity_id,
            purpose=PURPOSE,
            granted=True,
            source=source,
            recorded_at=conversation.created_at,
        )
        recorded += 1
    return recorded
