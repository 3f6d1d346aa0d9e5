"""The remember stage on SQLite and PostgreSQL: idempotence, exact-key linking, threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from groundswell.core.db import Database
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Contact, ContactKey, Conversation, Identity, Interaction
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.models import ALL_POSTS, MinuteRollup

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def post(
    ext: str,
    author: str,
    *,
    text: str = "hello",
    minutes: int = 0,
    reply_to: str | None = None,
    direction: str = "in",
    channel: str = "twitter",
    email: str | None = None,
) -> InboundPost:
    return InboundPost.model_validate(
        {
            "channel": channel,
            "external_id": ext,
            "direction": direction,
            "text": text,
            "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "author": {"external_id": author, "handle": author, "email": email},
            "reply_to_external_id": reply_to,
        }
    )


def enr(
    label: str = "neutral",
    score: float = 0.0,
    subjects: tuple[int, ...] = (),
    emails: tuple[str, ...] = (),
) -> Enrichment:
    return Enrichment(
        language=Language("en", 0.9),
        sentiment=Sentiment(score, label),
        entities=Entities(emails=emails),
        influence=1.0,
        subject_ids=subjects,
        versions={"sentiment": "test"},
    )


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def store(db: Database, items: list[tuple[InboundPost, Enrichment]], cache: ChannelIds) -> int:
    with db.session() as s:
        return len(remember_batch(s, items=items, channels=cache).stored)


def test_redelivery_changes_nothing(db: Database) -> None:
    cache = ChannelIds()
    items = [
        (post("1", "alice", minutes=0), enr("negative", -0.5)),
        (post("2", "bob", minutes=0), enr("positive", 0.6)),
        (post("3", "alice", minutes=1), enr("negative", -0.3)),
    ]
    assert store(db, items, cache) == 3
    snapshot = [count(db, m) for m in (Interaction, Identity, Contact, Conversation)]
    with db.session() as s:
        rollups = sorted(
            (r.minute, r.subject_id, r.sentiment_label, r.count, round(r.sentiment_sum, 6))
            for r in s.scalars(select(MinuteRollup))
        )
    assert store(db, items, cache) == 0
    assert store(db, items + items, ChannelIds()) == 0
    assert [count(db, m) for m in (Interaction, Identity, Contact, Conversation)] == snapshot
    with db.session() as s:
        again = sorted(
            (r.minute, r.subject_id, r.sentiment_label, r.count, round(r.sentiment_sum, 6))
            for r in s.scalars(select(MinuteRollup))
        )
    assert again == rollups
    assert snapshot == [3, 2, 2, 3]


def test_rollups_count_inbound_per_subject_and_all(db: Database) -> None:
    from groundswell.listening.models import Subject

    with db.session() as s:
        s.add(Subject(id=7, name="delta", query="delta"))
    items = [
        (post("1", "a", minutes=0), enr("negative", -0.5, subjects=(7,))),
        (post("2", "b", minutes=0), enr("negative", -0.25, subjects=(7,))),
        (post("3", "c", minutes=2), enr("positive", 0.5)),
        (post("4", "brand", minutes=2, direction="out", reply_to="3"), enr("positive", 0.9)),
    ]
    store(db, items, ChannelIds())
    with db.session() as s:
        rows = {
            (r.minute.minute, r.subject_id, r.sentiment_label): (r.count, r.sentiment_sum)
            for r in s.scalars(select(MinuteRollup))
        }
    assert rows[(0, 7, "negative")] == (2, -0.75)
    assert rows[(0, ALL_POSTS, "negative")] == (2, -0.75)
    assert rows[(2, ALL_POSTS, "positive")] == (1, 0.5)  # the outbound reply is not counted
    assert len(rows) == 3


def test_exact_email_links_identities_across_channels(db: Database) -> None:
    cache = ChannelIds()
    store(db, [(post("t1", "alice_tw", email="Alice@Example.com"), enr())], cache)
    store(
        db,
        [(post("m1", "alice@mastodon", channel="mastodon"), enr(emails=("alice@example.com",)))],
        cache,
    )
    with db.session() as s:
        ids = {i.platform: i for i in s.scalars(select(Identity))}
        assert ids["twitter"].contact_id == ids["mastodon"].contact_id
        assert ids["twitter"].linked_by == "new"
        assert ids["mastodon"].linked_by == "email:alice@example.com"
        assert s.scalar(select(func.count()).select_from(Contact)) == 1
        key = s.scalars(select(ContactKey)).one()
        assert (key.kind, key.value, key.source) == ("email", "alice@example.com", "profile")


def test_shared_key_inside_one_batch_makes_one_contact(db: Database) -> None:
    items = [
        (post("1", "x", text="mail me"), enr(emails=("same@example.org",))),
        (post("2", "y", text="mail me"), enr(emails=("same@example.org",))),
        (post("3", "z"), enr()),
    ]
    store(db, items, ChannelIds())
    with db.session() as s:
        by_handle = {i.external_id: i.contact_id for i in s.scalars(select(Identity))}
    assert by_handle["x"] == by_handle["y"] != by_handle["z"]
    assert count(db, Contact) == 2


def test_threads_with_brand_replies_and_late_parents(db: Database) -> None:
    cache = ChannelIds()
    # The reply (2) arrives before its parent (1); 3 is the brand's answer to 2.
    store(db, [(post("2", "cust", minutes=1, reply_to="1"), enr())], cache)
    store(db, [(post("1", "cust", minutes=0), enr())], cache)
    store(db, [(post("3", "brand", minutes=2, reply_to="2", direction="out"), enr())], cache)
    # 5 replies to 4 which replies to 9 which we only get at the end.
    store(db, [(post("5", "other", minutes=5, reply_to="4"), enr())], cache)
    store(db, [(post("4", "brand", minutes=4, reply_to="9", direction="out"), enr())], cache)
    store(db, [(post("9", "other", minutes=3), enr())], cache)
    with db.session() as s:
        rows = {i.external_id: i for i in s.scalars(select(Interaction))}
        brand = s.scalars(select(Identity).where(Identity.external_id == "brand")).one()
        assert brand.is_brand and brand.contact_id is None
    assert rows["1"].conversation_id == rows["2"].conversation_id == rows["3"].conversation_id
    # The brand's reply is on the customer's record.
    assert rows["3"].contact_id == rows["1"].contact_id
    assert rows["9"].conversation_id == rows["4"].conversation_id == rows["5"].conversation_id
    assert rows["9"].conversation_id != rows["1"].conversation_id
    assert count(db, Conversation) == 2


def test_same_post_id_on_two_channels_is_two_posts(db: Database) -> None:
    store(
        db,
        [(post("1", "a"), enr()), (post("1", "a", channel="mastodon"), enr())],
        ChannelIds(),
    )
    assert count(db, Interaction) == 2


def test_identity_profile_refreshes_only_when_changed(db: Database) -> None:
    cache = ChannelIds()
    first = InboundPost.model_validate(
        {
            "channel": "twitter",
            "external_id": "p1",
            "text": "hi",
            "created_at": T0.isoformat(),
            "author": {"external_id": "u", "handle": "old", "followers": 10},
        }
    )
    later = first.model_copy(
        update={
            "external_id": "p2",
            "created_at": T0 + timedelta(hours=3),
            "author": first.author.model_copy(update={"handle": "new", "followers": None}),
        }
    )
    store(db, [(first, enr())], cache)
    store(db, [(later, enr())], cache)
    with db.session() as s:
        ident = s.scalars(select(Identity)).one()
        assert (ident.handle, ident.followers) == ("new", 10)  # a missing value never erases
        assert ident.last_seen == T0 + timedelta(hours=3)
        assert ident.first_seen == T0
