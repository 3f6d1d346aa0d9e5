"""CRM sync end to end against the Salesforce and HubSpot stand-ins over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from crm_sync_world import LOCAL, connect_hubspot, connect_salesforce, make_customer
from groundswell.core.db import Database
from groundswell.crm.models import Account, Contact
from groundswell.crmsync.conflicts import list_conflicts, resolve
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.models import CrmLink, CrmOutbox
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin
from groundswell.settings import Settings


@pytest.fixture
def sf() -> Iterator[SalesforceStandin]:
    server = SalesforceStandin(page_size=2)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hs() -> Iterator[HubSpotStandin]:
    server = HubSpotStandin(page_size=2)
    server.start()
    yield server
    server.stop()


def runner(settings: Settings, db: Database, waits: list[float] | None = None) -> SyncRunner:
    return SyncRunner(settings, db, policy=LOCAL, sleep=(waits if waits is not None else []).append)


def set_local(db: Database, contact_id: int, **values: object) -> None:
    from groundswell.core.clock import utcnow

    with db.session() as s:
        contact = s.get(Contact, contact_id)
        assert contact is not None
        for k, v in values.items():
            setattr(contact, k, v)
        contact.updated_at = utcnow()


def test_salesforce_contact_case_and_activities(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    world = make_customer(db)
    connect_salesforce(db, settings, sf)
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "ok", report
    assert report.pushed == 4  # contact, case, two posts

    contact = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert contact is not None
    assert (contact["FirstName"], contact["LastName"]) == ("Ana", "Costa")
    assert contact["Email"] == "ana1@example.com"
    assert contact["Groundswell_Handles__c"] == "twitter:ana1"
    case = sf.by_external_id("Case", f"gs-case-{world.case_id}")
    assert case is not None
    assert case["ContactId"] == contact["Id"]
    assert (case["Status"], case["Priority"], case["Origin"]) == ("Working", "High", "twitter")
    tasks = [sf.by_external_id("Task", f"gs-interaction-{i}") for i in world.interaction_ids]
    assert all(t is not None for t in tasks)
    assert {t["WhoId"] for t in tasks if t} == {contact["Id"]}
    assert {t["WhatId"] for t in tasks if t} == {case["Id"]}
    assert tasks[0] and tasks[0]["Description"] == "my bag never made it to Lisbon"
    assert sf.requests_to("POST", "/services/oauth2/token")[0].form()["grant_type"] == [
        "client_credentials"
    ]

    # A second run creates nothing and sends nothing again.
    again = runner(settings, db).run_all(force=True)[0]
    assert again.pushed == 0
    assert len(sf.records["Contact"]) == 1
    assert len(sf.records["Case"]) == 1
    assert len(sf.records["Task"]) == 2


def test_salesforce_remote_edit_comes_back_and_company_is_the_crms(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    world = make_customer(db)
    connect_salesforce(db, settings, sf)
    runner(settings, db).run_all(force=True)
    remote = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert remote is not None
    sf.edit("Contact", remote["Id"], Phone="+351910000999", Company="Costa & Filhos")

    report = runner(settings, db).run_all(force=True)[0]
    assert report.applied == 1, report
    with db.session() as s:
        contact = s.get(Contact, world.contact_id)
        assert contact is not None
        assert contact.phone == "+351910000999"
        company = s.scalar(select(Account.name).where(Account.id == contact.account_id))
        assert company == "Costa & Filhos"
        link = s.scalar(select(CrmLink).where(CrmLink.local_kind == "contact"))
        assert link is not None
        assert link.remote_fields["owner"] == "005000000000001AAA"


def test_both_sides_change_the_same_field_makes_a_conflict(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    world = make_customer(db)
    connect_salesforce(db, settings, sf)
    runner(settings, db).run_all(force=True)
    remote = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert remote is not None
    sf.edit("Contact", remote["Id"], Phone="+351222222222")
    set_local(db, world.contact_id, phone="+351111111111")

    report = runner(settings, db).run_all(force=True)[0]
    assert report.conflicts == 1, report
    with db.session() as s:
        conflicts = list_conflicts(s)
    assert [(c.field, c.local_value, c.remote_value) for c in conflicts] == [
        ("phone", "+351111111111", "+351222222222")
    ]
    # Neither side was overwritten.
    after = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert after is not None and after["Phone"] == "+351222222222"
    with db.session() as s:
        contact = s.get(Contact, world.contact_id)
        assert contact is not None and contact.phone == "+351111111111"

    # Still not overwritten after another run; then the admin keeps the local value.
    runner(settings, db).run_all(force=True)
    kept = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert kept is not None and kept["Phone"] == "+351222222222"
    with db.session() as s:
        resolve(s, conflict_id=conflicts[0].id, choice="keep_local", user_id=None)
    runner(settings, db).run_all(force=True)
    pushed = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert pushed is not None and pushed["Phone"] == "+351111111111"
    with db.session() as s:
        assert list_conflicts(s) == []


def test_take_remote_writes_the_crm_value_here(
    db: Database, settings: Settings, hs: HubSpotStandin
) -> None:
    world = make_customer(db)
    connect_hubspot(db, settings, hs)
    runner(settings, db).run_all(force=True)
    remote = hs.by_groundswell_id("contacts", f"gs-contact-{world.contact_id}")
    assert remote is not None
    hs.edit("contacts", remote["id"], email="ana.costa@example.pt")
    set_local(db, world.contact_id, email="ana@home.example")
    report = runner(settings, db).run_all(force=True)[0]
    assert report.conflicts == 1
    with db.session() as s:
        (conflict,) = list_conflicts(s)
        resolve(s, conflict_id=conflict.id, choice="take_remote", user_id=None)
    with db.session() as s:
        contact = s.get(Contact, world.contact_id)
        assert contact is not None and contact.email == "ana.costa@example.pt"
    runner(settings, db).run_all(force=True)
    with db.session() as s:
        assert list_conflicts(s) == []
    final = hs.by_groundswell_id("contacts", f"gs-contact-{world.contact_id}")
    assert final is not None and final["properties"]["email"] == "ana.costa@example.pt"


def test_hubspot_contact_ticket_notes_with_associations(
    db: Database, settings: Settings, hs: HubSpotStandin
) -> None:
    world = make_customer(db)
    make_customer(db, n=2, name="Bo Lind")
    make_customer(db, n=3, name="Cy")
    connect_hubspot(db, settings, hs)
    waits: list[float] = []
    hs.throttle_once()
    report = runner(settings, db, waits).run_all(force=True)[0]
    assert report.status == "ok", report
    assert waits == [1.0]  # the 429's Retry-After was waited out
    assert len(hs.objects["contacts"]) == 3
    assert len(hs.objects["tickets"]) == 3
    assert len(hs.objects["notes"]) == 6

    contact = hs.by_groundswell_id("contacts", f"gs-contact-{world.contact_id}")
    ticket = hs.by_groundswell_id("tickets", f"gs-case-{world.case_id}")
    assert contact is not None and ticket is not None
    assert contact["properties"]["firstname"] == "Ana"
    assert contact["properties"]["email"] == "ana1@example.com"
    assert ticket["properties"]["hs_ticket_priority"] == "HIGH"
    assert hs.associated("tickets", ticket["id"], "contacts") == [(contact["id"], 16)]
    note = hs.by_groundswell_id("notes", f"gs-interaction-{world.interaction_ids[0]}")
    assert note is not None
    assert "my bag never made it to Lisbon" in note["properties"]["hs_note_body"]
    assert hs.associated("notes", note["id"], "contacts") == [(contact["id"], 202)]
    assert hs.associated("notes", note["id"], "tickets") == [(ticket["id"], 228)]

    # Twice: nothing new in HubSpot; the pull pages through all three contacts.
    again = runner(settings, db).run_all(force=True)[0]
    assert again.pushed == 0
    assert again.pulled >= 3
    assert (len(hs.objects["contacts"]), len(hs.objects["notes"])) == (3, 6)


def test_hubspot_remote_edit_comes_back(
    db: Database, settings: Settings, hs: HubSpotStandin
) -> None:
    world = make_customer(db)
    connect_hubspot(db, settings, hs)
    runner(settings, db).run_all(force=True)
    remote = hs.by_groundswell_id("contacts", f"gs-contact-{world.contact_id}")
    assert remote is not None
    hs.edit("contacts", remote["id"], firstname="Ana Maria", hubspot_owner_id="77")
    runner(settings, db).run_all(force=True)
    with db.session() as s:
        contact = s.get(Contact, world.contact_id)
        assert contact is not None and contact.display_name == "Ana Maria Costa"


def test_expired_session_gets_a_new_token(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    make_customer(db)
    connect_salesforce(db, settings, sf)
    runner(settings, db).run_all(force=True)
    issued = sf.tokens_issued
    sf.expire_session_once()
    make_customer(db, n=2, name="Bo Lind")
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "ok", report
    # One token to start the run, one more after the session expired mid-run.
    assert sf.tokens_issued == issued + 2
    assert len(sf.records["Contact"]) == 2


def test_request_limit_defers_and_loses_nothing(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    make_customer(db)
    connect_salesforce(db, settings, sf)
    sf.limit_once()
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "rate_limited"
    with db.session() as s:
        from groundswell.crmsync.models import CrmConnection

        connection = s.scalars(select(CrmConnection)).one()
        assert connection.next_attempt_at is not None
        assert "REQUEST_LIMIT_EXCEEDED" in (connection.last_error or "")
    assert runner(settings, db).run_all() == []  # not due yet
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "ok"
    assert len(sf.records["Contact"]) == 1
    assert len(sf.records["Task"]) == 2
    with db.session() as s:
        assert s.scalars(select(CrmOutbox)).all() == []


def test_crash_after_the_crm_accepted_duplicates_nothing(
    db: Database, settings: Settings, sf: SalesforceStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CRM took the record but the local commit failed: the next run updates it."""
    from groundswell.crmsync import push

    world = make_customer(db)
    connect_salesforce(db, settings, sf)
    real = push.push_case

    def crash(*args: object, **kwargs: object) -> bool:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    monkeypatch.setitem(push.PUSHERS, "case", crash)
    runner(settings, db).run_all(force=True)
    assert len(sf.records["Case"]) == 1
    monkeypatch.setitem(push.PUSHERS, "case", real)
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "ok", report
    assert len(sf.records["Case"]) == 1
    assert len(sf.records["Task"]) == 2
    assert sf.by_external_id("Case", f"gs-case-{world.case_id}") is not None


def test_salesforce_pull_follows_next_records_url(
    db: Database, settings: Settings, sf: SalesforceStandin
) -> None:
    worlds = [make_customer(db, n=n, name=f"Customer {n}") for n in range(1, 4)]
    connect_salesforce(db, settings, sf)
    runner(settings, db).run_all(force=True)
    last = sf.by_external_id("Contact", f"gs-contact-{worlds[-1].contact_id}")
    assert last is not None
    sf.edit("Contact", last["Id"], Email="third@example.org")
    # The stand-in pages by two: a pull from the start reads page two through its locator.
    with db.session() as s:
        from groundswell.crmsync.models import CrmConnection

        s.scalars(select(CrmConnection)).one().pull_cursor = None
    report = runner(settings, db).run_all(force=True)[0]
    assert report.pulled >= 3
    assert any(r.path.startswith("/services/data/v59.0/query/01g") for r in sf.requests)
    with db.session() as s:
        contact = s.get(Contact, worlds[-1].contact_id)
        assert contact is not None and contact.email == "third@example.org"


def test_hubspot_refused_token_needs_new_settings(
    db: Database, settings: Settings, hs: HubSpotStandin
) -> None:
    make_customer(db)
    connect_hubspot(db, settings, hs)
    hs.token = "pat-eu1-rotated"
    report = runner(settings, db).run_all(force=True)[0]
    assert report.status == "needs_reauth"
    assert "INVALID_AUTHENTICATION" in (report.detail or "")
    assert hs.objects["contacts"] == {}
