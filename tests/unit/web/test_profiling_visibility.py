"""Profiling links (signed, expiring, public form), private-text visibility, journeys,
reply lift, and the consent/tags/notes API."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.consent_models import Consent
from groundswell.crm.journey_stages import journey_aggregate, reply_lift
from groundswell.crm.matching.models import MatchCandidate, MergeEvent
from groundswell.crm.models import Contact, ContactKey, Identity, Interaction
from groundswell.crm.profiling import SALT


def _set(db: Database, interaction_id: int, **values: Any) -> None:
    with db.session() as s:
        s.execute(update(Interaction).where(Interaction.id == interaction_id).values(**values))


def _link(client: TestClient, contact: int, identity: int) -> str:
    token = page_csrf(client, f"/contacts/{contact}")
    page = client.post(
        f"/contacts/{contact}/identities/{identity}/profiling-link", data={"csrf_token": token}
    )
    assert page.status_code == 200, page.text
    found = re.search(r"(/p/[A-Za-z0-9_.\-]+)", page.text)
    assert found
    return found.group(1)


def test_profiling_link_adds_key_and_consent(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(role="agent")
    contact = factory.contact("Tweeter")
    identity = factory.identity("twitter", "@tweeter", contact)
    login(client)
    path = _link(client, contact, identity)
    client.cookies.clear()  # the customer is not logged in
    form = client.get(path)
    assert form.status_code == 200 and "@tweeter" in form.text
    bad = client.post(path, data={"email": "not-an-email"})
    assert bad.status_code == 422 and "email" in bad.text
    done = client.post(path, data={"email": "Tweeter@Example.com", "service": "yes"})
    assert done.status_code == 200 and "Thank you" in done.text
    with db.session() as s:
        key = s.scalars(select(ContactKey).where(ContactKey.contact_id == contact)).one()
        assert (key.kind, key.value, key.source) == (
            "email",
            "tweeter@example.com",
            "profiling link",
        )
        ident = s.get(Identity, identity)
        assert ident is not None and ident.linked_by == "profiling link: email:tweeter@example.com"
        consents = {c.purpose: (c.granted, c.source) for c in s.scalars(select(Consent))}
        assert consents == {
            "service": (True, "profiling link"),
            "marketing": (False, "profiling link"),
        }


def test_profiling_link_to_a_known_key_goes_to_review(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(role="agent")
    shop = factory.contact("Shop Customer")
    with db.session() as s:
        s.add(
            Transaction(
                contact_id=shop,
                customer_key="k",
                occurred_on=date(2024, 1, 2),
                amount=5.0,
                source="shop",
                external_id="A-1001",
            )
        )
    social = factory.contact("Social")
    identity = factory.identity("instagram", "@social", social)
    login(client)
    path = _link(client, social, identity)
    client.cookies.clear()
    done = client.post(path, data={"order": "#A-1001", "marketing": "yes", "service": "yes"})
    assert done.status_code == 200, done.text
    with db.session() as s:
        ident = s.get(Identity, identity)
        assert ident is not None and ident.contact_id == social  # not merged on a claim
        assert ident.linked_by == "profiling link: order:A-1001"
        pair = s.scalars(select(MatchCandidate)).one()
        assert {pair.left_contact_id, pair.right_contact_id} == {shop, social}
        assert pair.status == "pending" and "A-1001" in pair.evidence[0]["detail"]
        assert s.scalar(select(MergeEvent)) is None
    client.cookies.clear()
    login(client)
    token = page_csrf(client, "/matches")
    assert "A-1001" in client.get("/matches").text
    client.post(f"/matches/{pair.id}/confirm", data={"csrf_token": token})
    with db.session() as s:
        event = s.scalars(select(MergeEvent)).one()
        assert {event.kept_contact_id, event.merged_contact_id} == {shop, social}
        gone = s.get(Contact, event.merged_contact_id)
        assert gone is not None and gone.merged_into_id == event.kept_contact_id


def test_tampered_and_expired_links_get_a_clear_page(
    client: TestClient, db: Database, factory: Factory
) -> None:
    contact = factory.contact()
    identity = factory.identity("twitter", "@x", contact)
    tampered = client.get("/p/eyJpIjoxfQ.bad.signature")
    assert tampered.status_code == 404 and "not valid" in tampered.text
    assert client.post("/p/garbage", data={"email": "a@b.co"}).status_code == 404
    secret = client.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    old = URLSafeTimedSerializer(secret, salt=SALT)
    token = old.dumps({"i": identity, "c": contact})
    settings = client.app.state.settings  # type: ignore[attr-defined]
    days = settings.profiling_link_days
    try:
        settings.profiling_link_days = 1
        import itsdangerous.timed as timed

        real = timed.TimestampSigner.get_timestamp
        timed.TimestampSigner.get_timestamp = lambda self: real(self) - 3 * 86400  # type: ignore[method-assign]
        try:
            stale = old.dumps({"i": identity, "c": contact})
        finally:
            timed.TimestampSigner.get_timestamp = real  # type: ignore[method-assign]
        expired = client.get(f"/p/{stale}")
        assert expired.status_code == 410 and "expired" in expired.text
        assert client.get(f"/p/{token}").status_code == 200
    finally:
        settings.profiling_link_days = days


def test_analysts_never_see_private_text(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(email="an@example.com", role="analyst")
    factory.user(email="ag@example.com", role="agent")
    em = factory.channel("email")
    tw = factory.channel("twitter")
    contact = factory.contact("Jane")
    factory.post(em, "my card number is secret-4242", contact_id=contact)
    factory.post(tw, "public hello", contact_id=contact, minutes=1)
    login(client, email="an@example.com")
    for path in (
        f"/contacts/{contact}",
        "/stream",
        f"/api/v1/contacts/{contact}/timeline",
        "/api/v1/interactions",
    ):
        body = client.get(path).text
        assert "secret-4242" not in body, path
        assert "public hello" in body, path
    client.cookies.clear()
    login(client, email="ag@example.com")
    assert "secret-4242" in client.get(f"/api/v1/contacts/{contact}/timeline").text
    assert "secret-4242" in client.get(f"/contacts/{contact}").text


def test_search_hides_merged_away_contacts(
    client: TestClient, db: Database, factory: Factory
) -> None:
    user = factory.user()
    kept = factory.contact("Kept Person")
    gone = factory.contact("Gone Person")
    with db.session() as s:
        s.execute(update(Contact).where(Contact.id == gone).values(merged_into_id=kept))
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    names = [c["display_name"] for c in client.get("/api/v1/contacts", headers=headers).json()]
    assert names == ["Kept Person"]


def test_journey_aggregate_and_reply_lift(db: Database, factory: Factory) -> None:
    tw = factory.channel("twitter")
    a = factory.contact("A")
    b = factory.contact("B")
    thread = factory.conversation(tw, "root-a", a)
    factory.post(
        tw, "hi", contact_id=a, conversation_id=thread, minutes=0, sentiment=("negative", -0.6)
    )
    factory.post(tw, "we are on it", direction="out", conversation_id=thread, minutes=5)
    factory.post(
        tw, "thanks!", contact_id=a, conversation_id=thread, minutes=10, sentiment=("positive", 0.4)
    )
    p = factory.post(tw, "how much is it?", contact_id=a, minutes=20)
    _set(db, p, intent="purchase_intent")
    factory.post(tw, "hello", contact_id=b)
    with db.session() as s:
        agg = journey_aggregate(s)
        lift = reply_lift(s, contact_id=a)
    assert agg.contacts == 2
    pairs = {(t.source, t.target): t.contacts for t in agg.transitions}
    assert pairs == {("(start)", "awareness"): 2, ("awareness", "consideration"): 1}
    funnel = {f.stage: (f.reached, f.stayed) for f in agg.funnel}
    assert funnel["awareness"] == (2, 1) and funnel["consideration"] == (1, 1)
    assert agg.paths[0].path in (["awareness"], ["awareness", "consideration"])
    assert len(lift.replies) == 1 and abs(lift.replies[0].lift - 1.0) < 1e-9


def test_consent_tags_notes_api(client: TestClient, db: Database, factory: Factory) -> None:
    user = factory.user()
    contact = factory.contact()
    identity = factory.identity("twitter", "@c", contact)
    h = {"Authorization": f"Bearer {factory.token(user)}"}
    put = client.put(
        f"/api/v1/contacts/{contact}/identities/{identity}/consents/marketing",
        json={"granted": True, "source": "reply on X"},
        headers=h,
    )
    assert put.status_code == 200
    marketing = next(c for c in put.json() if c["purpose"] == "marketing")
    assert marketing["granted"] is True and "reply on X" in marketing["source"]
    bad = client.put(
        f"/api/v1/contacts/{contact}/identities/{identity}/consents/spam",
        json={"granted": True, "source": "x"},
        headers=h,
    )
    assert bad.status_code == 422 and "purpose" in bad.text
    empty = client.put(
        f"/api/v1/contacts/{contact}/identities/{identity}/consents/service",
        json={"granted": True, "source": ""},
        headers=h,
    )
    assert empty.status_code == 422 and "source" in empty.text
    tags = client.post(f"/api/v1/contacts/{contact}/tags", json={"tag": "VIP"}, headers=h)
    assert tags.json()["tags"] == ["vip"]
    long = client.post(f"/api/v1/contacts/{contact}/tags", json={"tag": "x" * 65}, headers=h)
    assert long.status_code == 422 and "tag" in long.text
    assert client.delete(f"/api/v1/contacts/{contact}/tags/vip", headers=h).json()["tags"] == []
    note = client.post(f"/api/v1/contacts/{contact}/notes", json={"text": "called"}, headers=h)
    assert note.status_code == 201
    assert [
        n["text"] for n in client.get(f"/api/v1/contacts/{contact}/notes", headers=h).json()
    ] == ["called"]
    blank = client.post(f"/api/v1/contacts/{contact}/notes", json={"text": ""}, headers=h)
    assert blank.status_code == 422 and "text" in blank.text
    assert client.get("/api/v1/contacts/999/notes", headers=h).status_code == 404
    assert client.get("/api/v1/journeys", headers=h).status_code == 200


def test_profiling_answers_are_rate_limited(client: TestClient, factory: Factory) -> None:
    codes = [client.post("/p/not-a-token", data={"email": "a@b.co"}).status_code for _ in range(12)]
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]
