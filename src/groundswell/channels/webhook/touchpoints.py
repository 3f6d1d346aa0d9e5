"""Touchpoints → ``InboundPost``-shaped dicts (pure).

A call, a store visit or a survey answer becomes an interaction on its own channel
(``call``, ``store_visit``, ``survey``) with the contact's e-mail or phone as identity
keys, so it lands on the same contact timeline as that person's posts.
"""

from __future__ import annotations

from typing import Any

from groundswell.channels.webhook.schemas import Touchpoint


def _text(tp: Touchpoint) -> str:
    if tp.kind == "survey":
        head = f"Survey {tp.survey or ''}".strip()
        score = f" score {tp.score}/10" if tp.score is not None else ""
        return f"{head}:{score}. {tp.summary}".strip() if tp.summary else f"{head}:{score}"
    if tp.kind == "call":
        minutes = f" ({tp.duration_seconds // 60} min)" if tp.duration_seconds is not None else ""
        return f"Call{minutes}: {tp.summary}" if tp.summary else f"Call{minutes}"
    where = f" at {tp.location}" if tp.location else ""
    return f"Store visit{where}: {tp.summary}" if tp.summary else f"Store visit{where}"


def touchpoint_to_post(tp: Touchpoint) -> dict[str, Any]:
    contact = tp.contact
    key = contact.external_id or contact.email or contact.phone or ""
    raw: dict[str, Any] = {"touchpoint": tp.kind}
    for name in ("duration_seconds", "location", "survey", "score"):
        value = getattr(tp, name)
        if value is not None:
            raw[name] = value
    return {
        "channel": tp.kind,
        "external_id": tp.id,
        "direction": tp.direction,
        "text": _text(tp),
        "created_at": tp.occurred_at.isoformat(),
        "author": {
            "external_id": key,
            "handle": contact.name or key,
            "display_name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
        },
        "reply_to_external_id": tp.in_reply_to,
        "raw": raw,
    }
