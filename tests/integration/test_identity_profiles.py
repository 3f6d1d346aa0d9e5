"""A profile's bio, location and time zone are kept on the identity and become evidence.

A customer on X whose bio links to her Mastodon profile, and that Mastodon profile, share a
place and a time zone: the matcher shows the link, the location and the time zone agreeing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.matching.scoring import score
from groundswell.crm.matching.service import load_profiles
from groundswell.crm.models import Identity
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost


def _post(channel: str, ext: str, author: dict[str, object]) -> InboundPost:
    return InboundPost.model_validate(
        {
            "channel": channel,
            "external_id": ext,
            "text": "my bag is lost",
            "created_at": datetime(2026, 11, 1, 12, tzinfo=UTC).isoformat(),
            "author": author,
        }
    )


def _enrichment() -> Enrichment:
    return Enrichment(
        language=Language("en", 0.9),
        sentiment=Sentiment(-0.5, "negative"),
        entities=Entities(),
        influence=10.0,
        subject_ids=(),
        versions={"sentiment": "test"},
    )


def test_profile_fields_are_stored_refreshed_and_used_as_evidence(db: Database) -> None:
    on_x = _post(
        "twitter",
        "x1",
        {
            "external_id": "111",
            "handle": "jdoe",
            "display_name": "Jane Doe",
            "bio": "Flying a lot. Also at https://mastodon.social/@janedoe",
            "location": "Denver, CO",
            "timezone": "America/Denver",
        },
    )
    on_mastodon = _post(
        "mastodon",
        "m1",
        {
            "external_id": "222",
            "handle": "janedoe@mastodon.social",
            "display_name": "Jane D.",
            "profile_url": "https://mastodon.social/@janedoe",
            "location": "denver, co",
            "timezone": "America/Denver",
        },
    )
    with db.session() as s:
        remember_batch(
            s, items=[(on_x, _enrichment()), (on_mastodon, _enrichment())], channels=ChannelIds()
        )
    with db.session() as s:
        x = s.scalar(select(Identity).where(Identity.external_id == "111"))
        m = s.scalar(select(Identity).where(Identity.external_id == "222"))
        assert x is not None and m is not None
        assert (x.location, x.timezone) == ("Denver, CO", "America/Denver")
        assert x.bio is not None and "mastodon.social/@janedoe" in x.bio
        assert x.contact_id is not None and m.contact_id is not None
        assert x.contact_id != m.contact_id  # no exact key links them
        profiles = load_profiles(s, [x.contact_id, m.contact_id])
        probability, evidence = score(profiles[x.contact_id], profiles[m.contact_id])
    agreeing = {e["field"] for e in evidence if e["agrees"]}
    assert {"profile link", "location", "time zone"} <= agreeing
    assert probability > 0.9

    moved = _post("twitter", "x2", {"external_id": "111", "handle": "jdoe", "location": "Paris"})
    with db.session() as s:
        remember_batch(s, items=[(moved, _enrichment())], channels=ChannelIds())
    with db.session() as s:
        x = s.scalar(select(Identity).where(Identity.external_id == "111"))
        assert x is not None
        assert x.location == "Paris"  # a new value refreshes the profile ...
        assert x.timezone == "America/Denver"  # ... a missing one never erases it
