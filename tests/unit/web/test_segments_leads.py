"""Segments (CRUD, validation, contacts list, inbox, CSV) and leads (promotion, page, API)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from gs_webtest import T0, Factory, login, page_csrf
from sqlalchemy import select, update

from groundswell.core.db import Database
from groundswell.crm.clv.models import ClvModelRun, CustomerValue, Transaction
from groundswell.crm.leads import promote_leads
from groundswell.crm.models import Interaction
from groundswell.crm.note_models import ContactTag
from groundswell.crm.segment_models import Lead
from groundswell.crm.segments import SegmentFilter, csv_cell, members
from groundswell.crm.visibility import WITHHELD


def _set(db: Database, interaction_id: int, **values: Any) -> None:
    with db.session() as s:
        s.execute(update(Interaction).where(Interaction.id == interaction_id).values(**values))


def _value(db: Database, contact_id: int, clv: float, p_alive: float) -> None:
    with db.session() as s:
        run = ClvModelRun(
            triggered_by="test",
            cutoff=date(2024, 5, 1),
            customers=2,
            repeat_customers=1,
            horizon_weeks=52,
            annual_discount_rate=0.1,
            status="ok",
        )
        s.add(run)
        s.flush()
        s.add(
            CustomerValue(
                contact_id=contact_id,
                run_id=run.id,
                purchases=1,
                repeat_purchases=0,
                total_amount=clv,
                first_purchase=date(2024, 5, 1),
                last_purchase=date(2024, 5, 1),
                p_alive=p_alive,
                expected_purchases=1.0,
                expected_spend=clv,
                clv=clv,
            )
        )


def _api(factory: Factory, role: str = "admin", email: str = "api@example.com") -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(factory.user(email=email, role=role))}"}


def test_segment_filter_bounds_name_the_field(client: TestClient, factory: Factory) -> None:
    headers = _api(factory)
    bad = client.post(
        "/api/v1/segments",
        json={"name": "x", "filter": {"min_p_alive": 2}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "min_p_alive" in bad.text
    unknown = client.post(
        "/api/v1/segments", json={"name": "x", "filter": {"nope": 1}}, headers=headers
    )
    assert unknown.status_code == 422 and "nope" in unknown.text
    backwards = client.post(
        "/api/v1/segments",
        json={"name": "x", "filter": {"min_value": 10, "max_value": 1}},
        headers=headers,
    )
    assert backwards.status_code == 422 and "min_value" in backwards.text
    stage = client.post(
        "/api/v1/segments", json={"name": "x", "filter": {"stages": ["nirvana"]}}, headers=headers
    )
    assert stage.status_code == 422 and "stages" in stage.text


def test_segment_members_by_value_tag_channel_and_stage(db: Database, factory: Factory) -> None:
    tw = factory.channel("twitter")
    em = factory.channel("email")
    rich = factory.contact("Rich Buyer")
    poor = factory.contact("Small Buyer")
    quiet = factory.contact("Quiet One")
    _value(db, rich, 900.0, 0.9)
    _value(db, poor, 10.0, 0.2)
    factory.post(tw, "love it", contact_id=rich)
    factory.post(em, "hello", contact_id=poor)
    intent = factory.post(tw, "where can I buy one?", contact_id=quiet, minutes=5)
    _set(db, intent, intent="purchase_intent")
    with db.session() as s:
        s.add(ContactTag(contact_id=rich, tag="vip", created_by="t"))
        s.add(
            Transaction(
                contact_id=rich,
                customer_key="c1",
                occurred_on=date(2024, 5, 2),
                amount=10.0,
                source="t",
                external_id="o-1",
            )
        )

    def ids(**flt: Any) -> set[int]:
        with db.session() as s:
            found = members(s, flt=SegmentFilter(**flt), now=T0 + timedelta(days=3))
            return set(found) if isinstance(found, list) else set(s.scalars(found))

    assert ids(min_value=100) == {rich}
    assert ids(max_p_alive=0.5) == {poor}
    assert ids(tags=["VIP"]) == {rich}
    assert ids(channels=["email"]) == {poor}
    assert ids(stages=["consideration"]) == {quiet}
    assert ids(stages=["purchase"]) == {rich}
    assert ids(touched_within_days=30) == {rich, poor, quiet}
    assert ids(silent_for_days=1) == {rich, poor, quiet}


def test_segment_pages_contacts_inbox_and_csv(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(role="analyst")
    ch = factory.channel("twitter")
    a = factory.contact('=HYPERLINK("http://evil")')
    b = factory.contact("Bob Plain")
    factory.post(ch, "hi", contact_id=a)
    factory.post(ch, "hi", contact_id=b)
    with db.session() as s:
        s.add(ContactTag(contact_id=a, tag="vip", created_by="t"))
    login(client)
    token = page_csrf(client, "/segments")
    bad = client.post(
        "/segments",
        data={"csrf_token": token, "name": "Bad", "min_p_alive": "7"},
    )
    assert bad.status_code == 422 and "min_p_alive" in bad.text
    saved = client.post(
        "/segments",
        data={"csrf_token": token, "name": "VIPs", "tags": "vip"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listing = client.get("/segments").text
    assert "VIPs" in listing and "tags vip" in listing
    seg = client.get("/api/v1/segments").json()[0]["id"]
    contacts = client.get(f"/contacts?segment={seg}").text
    assert f'id="contact-{a}"' in contacts and f'id="contact-{b}"' not in contacts
    exported = client.get(f"/segments/{seg}/export.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][0] == "contact_id" and len(rows) == 2
    assert rows[1][1].startswith("'=")  # a formula is defused
    api_page = client.get(f"/api/v1/segments/{seg}/contacts?sort=name").json()
    assert [c["id"] for c in api_page["items"]] == [a] and api_page["total"] == 1
    api_csv = client.get(f"/api/v1/segments/{seg}/export.csv")
    assert api_csv.status_code == 200 and api_csv.text == exported.text
    inbox = client.get(f"/inbox?segment_id={seg}")
    assert inbox.status_code == 200
    assert client.get(f"/api/v1/engagement/cases?segment_id={seg}").status_code == 200
    edit = client.post(
        "/segments",
        data={
            "csrf_token": token,
            "name": "VIPs",
            "tags": "vip",
            "segment_id": str(seg),
            "stages": ["awareness"],
        },
        follow_redirects=False,
    )
    assert edit.status_code == 303
    assert client.get(f"/api/v1/segments/{seg}").json()["filter"]["stages"] == ["awareness"]
    gone = client.post(
        f"/segments/{seg}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert client.get("/api/v1/segments").json() == []


def test_agents_use_segments_but_do_not_edit_them(client: TestClient, factory: Factory) -> None:
    factory.user(role="agent")
    login(client)
    token = page_csrf(client, "/segments")
    refused = client.post("/segments", data={"csrf_token": token, "name": "Mine"})
    assert refused.status_code == 403
    assert client.get("/segments").status_code == 200


def test_csv_cells_are_defused() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-12.5") == "-12.5"
    assert csv_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert csv_cell(None) == ""


def test_leads_one_per_open_episode_and_idempotent(db: Database, factory: Factory) -> None:
    ch = factory.channel("twitter")
    c = factory.contact("Buyer")
    first = factory.post(ch, "which plan should I buy?", contact_id=c, minutes=0)
    second = factory.post(ch, "also, price for 10 seats?", contact_id=c, minutes=10)
    other = factory.post(ch, "broken again", contact_id=c, minutes=20)
    _set(db, first, intent="purchase_intent")
    _set(db, second, intent="purchase_intent")
    _set(db, other, intent="complaint")
    with db.session() as s:
        report = promote_leads(s)
    assert report.created == 1
    with db.session() as s:
        assert promote_leads(s).created == 0  # a rescan from 0 makes nothing twice
        lead = s.scalars(select(Lead)).one()
        assert lead.interaction_id == first and lead.intent_posts == 2
        lead.status, lead.closed_at = "lost", T0 + timedelta(minutes=30)
    later = factory.post(ch, "ok I want to buy now", contact_id=c, minutes=60)
    _set(db, later, intent="purchase_intent")
    with db.session() as s:
        assert promote_leads(s, after_id=0).created == 1
        assert promote_leads(s, after_id=0).created == 0
        assert {x.interaction_id for x in s.scalars(select(Lead))} == {first, later}


def test_leads_page_and_api_change_status_and_owner(
    client: TestClient, db: Database, factory: Factory
) -> None:
    agent = factory.user(role="agent")
    ch = factory.channel("twitter")
    c = factory.contact("Buyer <b>")
    post = factory.post(ch, "<script>buy</script> how much?", contact_id=c)
    _set(db, post, intent="purchase_intent")
    with db.session() as s:
        promote_leads(s)
    login(client)
    page = client.get("/leads")
    assert page.status_code == 200
    assert "&lt;script&gt;buy&lt;/script&gt;" in page.text and "<script>buy" not in page.text
    lead_id = client.get("/api/v1/leads").json()[0]["id"]
    token = page_csrf(client, "/leads")
    done = client.post(
        f"/leads/{lead_id}",
        data={"csrf_token": token, "status": "contacted", "owner_id": str(agent)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    read = client.get(f"/api/v1/leads/{lead_id}").json()
    assert read["status"] == "contacted" and read["owner_email"] == "ana@example.com"
    assert read["contact_id"] == c
    no_csrf = client.patch(f"/api/v1/leads/{lead_id}", json={"status": "lost"})
    assert no_csrf.status_code == 403
    ok = client.patch(
        f"/api/v1/leads/{lead_id}",
        json={"status": "qualified"},
        headers={"X-CSRF-Token": token},
    )
    assert ok.status_code == 200 and ok.json()["closed_at"] is not None
    bad = client.patch(
        f"/api/v1/leads/{lead_id}", json={"status": "won"}, headers={"X-CSRF-Token": token}
    )
    assert bad.status_code == 422 and "status" in bad.text


def test_analysts_read_leads_but_do_not_work_them(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(role="analyst")
    ch = factory.channel("email")
    c = factory.contact("Buyer")
    post = factory.post(ch, "private: my budget is 10k", contact_id=c)
    _set(db, post, intent="purchase_intent")
    with db.session() as s:
        promote_leads(s)
    login(client)
    page = client.get("/leads").text
    assert "my budget is 10k" not in page  # a private message's text is withheld
    token = page_csrf(client, "/leads")
    lead_id = client.get("/api/v1/leads").json()[0]["id"]
    refused = client.post(f"/leads/{lead_id}", data={"csrf_token": token, "status": "lost"})
    assert refused.status_code == 403


def test_a_private_message_on_a_public_channel_is_withheld_from_analysts_in_leads(
    client: TestClient, db: Database, factory: Factory
) -> None:
    """A Messenger message arrives on the page's channel (``facebook``): its own flag, not
    the channel key, keeps its text from analysts; a public comment there stays readable."""
    analyst = factory.token(factory.user("an@example.com", role="analyst"))
    agent = factory.token(factory.user("ag@example.com", role="agent"))
    ch = factory.channel("facebook")
    dm = factory.post(ch, "dm: my budget is 10k", contact_id=factory.contact("Buyer"))
    comment = factory.post(ch, "how much is the pro plan?", contact_id=factory.contact("Other"))
    _set(db, dm, intent="purchase_intent", private=True, url="https://m.me/x")
    _set(db, comment, intent="purchase_intent")
    with db.session() as s:
        promote_leads(s)

    def leads(token: str) -> dict[int, dict[str, Any]]:
        r = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return {lead["interaction_id"]: lead for lead in r.json()}

    seen = leads(analyst)
    assert seen[dm]["text"] == WITHHELD and seen[dm]["url"] is None and seen[dm]["private"]
    assert seen[comment]["text"] == "how much is the pro plan?" and not seen[comment]["private"]
    assert leads(agent)[dm]["text"] == "dm: my budget is 10k"


def test_the_crm_loop_makes_leads_incrementally(db: Database, factory: Factory) -> None:
    from groundswell.workers.crm_loop import CrmLoop

    ch = factory.channel("twitter")
    c = factory.contact("Buyer")
    post = factory.post(ch, "how much for the pro plan?", contact_id=c)
    _set(db, post, intent="purchase_intent")
    loop = CrmLoop(db.settings, db)
    assert loop.leads_once().created == 1
    assert loop.leads_after_id == post
    assert loop.leads_once().scanned == 0  # nothing newer: nothing re-read
    loop.leads_after_id = 0  # a restart rescans, and creates nothing twice
    assert loop.leads_once().created == 0


def test_inbox_filters_cases_by_segment(client: TestClient, db: Database, factory: Factory) -> None:
    from engagement_world import every_negative_post_opens_a_case, store_post
    from groundswell.core.clock import utcnow
    from groundswell.engagement.rules.service import apply_rules, load_rules

    user = factory.user(role="agent")
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    with db.session() as s:
        every_negative_post_opens_a_case(s)
    cases = {}
    for ext, author in (("t1", "vera"), ("t2", "walt")):
        iid = store_post(db, ext, author, at=utcnow())
        with db.session() as s:
            case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
            assert case is not None and case.contact_id is not None
            cases[author] = (case.id, case.contact_id)
    with db.session() as s:
        s.add(ContactTag(contact_id=cases["vera"][1], tag="vip", created_by="t"))
    admin = _api(factory, email="boss@example.com")
    seg = client.post(
        "/api/v1/segments", json={"name": "VIP", "filter": {"tags": ["vip"]}}, headers=admin
    ).json()["id"]
    everyone = client.get("/api/v1/engagement/cases", headers=headers).json()["cases"]
    assert {c["id"] for c in everyone} == {cases["vera"][0], cases["walt"][0]}
    only = client.get(f"/api/v1/engagement/cases?segment_id={seg}", headers=headers).json()
    assert [c["id"] for c in only["cases"]] == [cases["vera"][0]]
    login(client)
    page = client.get(f"/inbox?segment_id={seg}").text
    assert f"/inbox/cases/{cases['vera'][0]}" in page
    assert f"/inbox/cases/{cases['walt'][0]}" not in page
    gone = client.get("/api/v1/engagement/cases?segment_id=999999", headers=headers).json()
    assert gone["cases"] == []
    zero = client.get("/api/v1/engagement/cases?segment_id=0", headers=headers)
    assert zero.status_code == 422 and "segment_id" in zero.text  # was a 500
