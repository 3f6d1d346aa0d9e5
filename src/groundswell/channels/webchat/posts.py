"""A visitor's message as an ``InboundPost``-shaped dict (pure).

The author is keyed by the e-mail the visitor gave: the identity carries it as its
e-mail, so the pipeline links it to the contact that has that address on any other
channel. Every message replies to the conversation's ``ref``, so all of a conversation's
messages share one thread whatever order they arrive in.
"""

from __future__ import annotations

from typing import Any

from groundswell.channels.webchat.models import WebchatConversation, WebchatMessage


def inbound_post(
    channel_key: str, conversation: WebchatConversation, message: WebchatMessage
) -> dict[str, Any]:
    author: dict[str, Any] = {
        "external_id": conversation.email,
        "handle": conversation.email,
        "email": conversation.email,
    }
    if conversation.name:
        author["display_name"] = conversation.name
    return {
        "channel": channel_key,
        "external_id": message.external_id,
        "direction": "in",
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "reply_to_external_id": conversation.ref,
        "author": author,
        "private": True,
        "raw": {
            "conversation": conversation.ref,
            "consent": conversation.consent,
            "origin": conversation.origin,
        },
    }
