"""Private messages are private per message, not per channel key.

A Facebook page's channel carries public comments and Messenger conversations, a
Mastodon account's channel public mentions and ``direct`` statuses. Both arrive here
through the connectors' own mapping and the remember stage, on SQLite and PostgreSQL;
an analyst then sees that a DM exists but not its text, on the contact page, the
timeline API, the stream page and the stream API, while an agent reads it, and the
public post on the same channel stays readable by both.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from gs_webtest import Factory, login
from sqlalchemy import select

from channels_testing import fixture_bytes, load_fixture
from groundswell.channels.mastodon.mapping import notification_to_post
from groundswell.channels.mastodon.schemas import Notification
from groundswell.channels.meta.connector import MetaChannel, MetaConfig
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.core.db import Database
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.models import Identity, Interaction
from groundswell.crm.remember import remember_batch
from groundswell.crm.visibility import WITHHELD
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost

SECRET = "app-secret"
COMMENT = "Still waiting for my refund after 3 weeks"
MESSAGE = "my booking QX7PLM was cancelled"
MENTION = "my bag never made it to Lisbon"
DIRECT = "booking ref is QX7PLM, please check"


def _meta(name: str) -> list[InboundPost]:
    source = MetaChannel(
        MetaConfig(app_secret=SECRET, verify_token="vt", page_access_token="t", network="facebook")  # type: ignore[arg-type]
    )
    body = fixture_bytes("meta", name)
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    posts = source.parse_webhook({"X-Hub-Signature-256": signature}, body)
    return [InboundPost.model_validate(p) for p in posts]


def _mastodon(name: str) -> InboundPost:
    note = Notification.model_validate(load_fixture("mastodon", name))
    post = notification_to_post(note, channel="mastodon", instance_host="mastodon.social")
    assert post is not None
    return InboundPost.model_validate(post)


def _store(db: Database, posts: list[InboundPost]) -> None:
    enrichment = Enrichment(
        language=Language("en", 0.9),
        sentiment=Sentiment(-0.5, "negative"),
        entities=Entities(),
        influence=0.0,
        subject_ids=(),
        versions={"sentiment": "test"},
    )
    with db.session() as s:
        remember_batch(s, items=[(p, enrichment) for p in posts], channels=ChannelIds())


def _contact(db: Database, external_id: str) -> int:
    with db.session() as s:
        found = s.scalar(select(Identity.contact_id).where(Identity.external_id == external_id))
    assert found is not None
    return int(found)


def _ingest_world(db: Database) -> dict[str, int]:
    comment = _meta("page_feed_comment_add.json")
    message = _meta("page_messaging_message.json")
    mention = _mastodon("notification_mention.json")
    direct = _mastodon("notification_mention_direct.json")
    assert {p.channel for p in (*comment, *message)} == {"facebook"}
    _store(db, [*comment, *message, mention, direct])
    return {
        "commenter": _contact(db, "7501112223334445"),
        "messenger": _contact(db, "6789012345678901"),
        "tooter": _contact(db, "zsc@mastodon.social"),
    }


def _switch(client: TestClient, email: str) -> None:
    client.cookies.clear()
    assert login(client, email).status_code == 303


def test_dms_are_stored_private_and_public_posts_on_the_same_channel_are_not(
    db: Database,
) -> None:
    _ingest_world(db)
    with db.session() as s:
        flags = {
            ext: private
            for ext, private in s.execute(select(Interaction.external_id, Interaction.private))
        }
    assert flags == {
        "987654321012345_1122334455667788": False,  # a comment on the page
        "m_1457764197618:41d102a3e1ae206a38": True,  # a Messenger message, same channel
        "103186126728896492": False,  # a public mention
        "103186211847192733": True,  # a direct status, same channel
    }


def test_the_api_withholds_dms_from_analysts_and_shows_them_to_agents(
    client: TestClient, factory: Factory, db: Database
) -> None:
    ids = _ingest_world(db)
    analyst = {
        "Authorization": "Bearer " + factory.token(factory.user("an@example.com", "analyst"))
    }
    agent = {"Authorization": "Bearer " + factory.token(factory.user("ag@example.com", "agent"))}

    def timeline(headers: dict[str, str]) -> dict[str, dict[str, object]]:
        r = client.get(f"/api/v1/contacts/{ids['tooter']}/timeline", headers=headers)
        assert r.status_code == 200, r.text
        return {i["external_id"]: i for i in r.json()["items"]}

    seen = timeline(analyst)
    direct, mention = seen["103186211847192733"], seen["103186126728896492"]
    assert direct["text"] == WITHHELD and direct["url"] is None and direct["private"] is True
    assert MENTION in str(mention["text"]) and mention["private"] is False
    assert mention["url"] == "https://mastodon.social/@zsc/103186126728896492"
    assert DIRECT in str(timeline(agent)["103186211847192733"]["text"])

    def stream(headers: dict[str, str]) -> dict[str, str]:
        r = client.get("/api/v1/interactions?channel=facebook", headers=headers)
        assert r.status_code == 200, r.text
        return {i["external_id"]: i["text"] for i in r.json()["items"]}

    assert stream(analyst) == {
        "987654321012345_1122334455667788": COMMENT,
        "m_1457764197618:41d102a3e1ae206a38": WITHHELD,
    }
    assert MESSAGE in stream(agent)["m_1457764197618:41d102a3e1ae206a38"]


def test_the_pages_withhold_dms_from_analysts_and_show_them_to_agents(
    client: TestClient, factory: Factory, db: Database
) -> None:
    ids = _ingest_world(db)
    factory.user("an@example.com", "analyst")
    factory.user("ag@example.com", "agent")

    _switch(client, "an@example.com")
    page = client.get(f"/contacts/{ids['messenger']}").text
    assert MESSAGE not in page and "not shown to your role" in page
    page = client.get(f"/contacts/{ids['tooter']}").text
    assert DIRECT not in html.unescape(page) and MENTION in page
    assert COMMENT in client.get(f"/contacts/{ids['commenter']}").text
    stream = html.unescape(client.get("/stream").text)
    assert COMMENT in stream and MENTION in stream
    assert MESSAGE not in stream and DIRECT not in stream and WITHHELD in stream

    _switch(client, "ag@example.com")
    assert MESSAGE in client.get(f"/contacts/{ids['messenger']}").text
    page = html.unescape(client.get(f"/contacts/{ids['tooter']}").text)
    assert DIRECT in page and "not shown to your role" not in page
    stream = html.unescape(client.get("/stream").text)
    assert MESSAGE in stream and DIRECT in stream and COMMENT in stream


def test_every_post_on_a_channel_of_a_private_kind_is_private(db: Database) -> None:
    """An admin named the mailbox ``support-mail``: an import that forgets the flag on it
    still stores private messages; a channel named ``email`` stays private as before."""
    with db.session() as s:
        s.add(ChannelAccount(key="support-mail", kind="email", name="Support mailbox"))

    def post(channel: str, ext: str) -> InboundPost:
        return InboundPost.model_validate(
            {
                "channel": channel,
                "external_id": ext,
                "text": "my account number is 1234",
                "created_at": datetime(2026, 1, 5, tzinfo=UTC),
                "author": {"external_id": "jo@example.org"},
            }
        )

    _store(db, [post("support-mail", "a"), post("email", "b"), post("twitter", "c")])
    with db.session() as s:
        rows = s.execute(select(Interaction.external_id, Interaction.private))
        flags = {ext: private for ext, private in rows}
    assert flags == {"a": True, "b": True, "c": False}
