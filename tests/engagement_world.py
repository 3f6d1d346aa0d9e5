"""Shared helpers for engagement tests: stored posts, users and a fake network.

``FileNetwork`` keeps what it "posted" in a JSON-lines file so that a sender process
killed mid-send and a restarted one see the same network, as a real one would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.channels.base import Capabilities, Reply, SendError, SendResult
from groundswell.core.db import Database
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Interaction
from groundswell.crm.remember import remember_batch
from groundswell.engagement.config_models import Rule
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def store_post(
    db: Database,
    ext: str,
    author: str,
    *,
    text: str = "My bag is lost, this is awful",
    minutes: int = 0,
    channel: str = "twitter",
    reply_to: str | None = None,
    label: str = "negative",
    score: float = -0.6,
    influence: float = 20.0,
    followers: int | None = None,
    subjects: tuple[int, ...] = (),
    at: datetime | None = None,
) -> int:
    """Store one post; written at ``T0 + minutes``, or at ``at`` (rules act only on
    posts younger than their horizon, so a test that runs them at the real clock needs
    recent posts)."""
    post = InboundPost.model_validate(
        {
            "channel": channel,
            "external_id": ext,
            "direction": "in",
            "text": text,
            "created_at": (at or T0 + timedelta(minutes=minutes)).isoformat(),
            "author": {
                "external_id": author,
                "handle": author,
                "display_name": author.title(),
                "followers": followers,
            },
            "reply_to_external_id": reply_to,
        },
        context={"max_future_skew": timedelta(days=36500)},
    )
    enrichment = Enrichment(
        language=Language("en", 0.9),
        sentiment=Sentiment(score, label),
        entities=Entities(),
        influence=influence,
        subject_ids=subjects,
        versions={"sentiment": "test"},
    )
    with db.session() as s:
        remember_batch(s, items=[(post, enrichment)], channels=ChannelIds())
        found = s.scalar(select(Interaction.id).where(Interaction.external_id == ext))
    assert found is not None
    return int(found)


def every_negative_post_opens_a_case(session: Session) -> None:
    """The one rule most engagement page tests need: every negative post opens a case."""
    session.add(
        Rule(
            name="all negative",
            position=0,
            stop=False,
            active=True,
            conditions={"sentiments": ["negative"]},
            actions=[{"type": "open_case"}],
        )
    )


def add_user(db: Database, email: str, role: str, name: str | None = None) -> int:
    with db.session() as s:
        user = User(
            email=email, role=role, name=name or email.split("@")[0].title(), password_hash="x"
        )
        s.add(user)
        s.flush()
        return int(user.id)


@dataclass
class FileNetwork:
    """A stand-in network: posts are lines in a file; the key makes a post findable."""

    path: Path
    key: str = "twitter"
    caps: Capabilities = field(
        default_factory=lambda: Capabilities(public=True, private=True, max_length=280)
    )
    fail_times: int = 0
    """Answer 503 this many times before accepting."""
    can_lookup: bool = True

    def capabilities(self) -> Capabilities:
        return self.caps

    def posts(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def send_reply(self, reply: Reply) -> SendResult:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise SendError("network answered 503", retryable=True)
        external_id = f"net-{len(self.posts()) + 1}"
        with self.path.open("a") as fh:
            fh.write(
                json.dumps({"id": external_id, "key": reply.idempotency_key, "text": reply.text})
                + "\n"
            )
        return SendResult(external_id=external_id, url=f"https://x.test/{external_id}")

    def lookup_sent(self, reply: Reply) -> SendResult | None:
        if not self.can_lookup:
            raise SendError("this network cannot look up a reply", retryable=False)
        for post in self.posts():
            if post["key"] == reply.idempotency_key:
                return SendResult(external_id=post["id"], url=f"https://x.test/{post['id']}")
        return None
