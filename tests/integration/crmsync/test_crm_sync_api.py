"""The CRM sync API and page: connect, run, conflicts, refusals naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from crm_sync_world import make_customer
from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.db import Database
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin
from gs_testing import make_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def local_db(database_url: str) -> Iterator[Database]:
    database = Database(make_settings(database_url, outbound_allow_hosts="127.0.0.1"))
    yield database
    database.dispose()


@pytest.fixture
def client(local_db: Database) -> Iterator[TestClient]:
    app = create_app(local_db.settings, embedded_worker=False)
    with TestClient(app) as c:
        yield c


def token(db: Database, role: str) -> dict[str, str]:
    with db.session() as s:
        user = create_user(
            s,
            data=UserCreate(email=f"{role}@example.com", password=PASSWORD, role=role, name=role),  # type: ignore[arg-type]
        )
        value = create_api_token(s, user_id=user.id, name="t")
        return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def sf() -> Iterator[SalesforceStandin]:
    with SalesforceStandin() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def hs() -> Iterator[HubSpotStandin]:
    with HubSpotStandin() as server:
        yield server  # type: ignore[misc]


URL = "/api/v1/admin/crm-sync"


def test_connect_run_and_resolve_over_the_api(
    client: TestClient, local_db: Database, sf: SalesforceStandin
) -> None:
    admin = token(local_db, "admin")
    world = make_customer(local_db)
    r = client.post(
        f"{URL}/connections",
        json={
            "name": "Salesforce",
            "system": "salesforce",
            "base_url": sf.url,
            "client_id": sf.client_id,
            "client_secret": sf.client_secret,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert sf.client_secret not in r.text
    assert r.json()["secrets_set"] == ["client_secret"]
    cid = r.json()["id"]

    run = client.post(f"{URL}/connections/{cid}/run", headers=admin)
    assert run.status_code == 200, run.text
    assert run.json()["status"] == "ok"
    assert run.json()["pushed"] == 4
    listed = client.get(f"{URL}/connections", headers=admin)
    assert listed.status_code == 200
    (conn,) = listed.json()
    assert conn["linked"] == {"contact": 1, "case": 1, "interaction": 2}
    assert conn["last_sync_at"] is not None
    assert sf.client_secret not in listed.text

    remote = sf.by_external_id("Contact", f"gs-contact-{world.contact_id}")
    assert remote is not None
    sf.edit("Contact", remote["Id"], LastName="Costa-Reis")
    from groundswell.core.clock import utcnow
    from groundswell.crm.models import Contact

    with local_db.session() as s:
        contact = s.get(Contact, world.contact_id)
        assert contact is not None
        contact.display_name, contact.updated_at = "Ana C.", utcnow()
    assert client.post(f"{URL}/connections/{cid}/run", headers=admin).json()["conflicts"] == 1

    conflicts = client.get(f"{URL}/conflicts", headers=admin)
    assert conflicts.status_code == 200
    (conflict,) = conflicts.json()
    assert (conflict["field"], conflict["local_value"], conflict["remote_value"]) == (
        "name",
        "Ana C.",
        "Ana Costa-Reis",
    )
    bad = client.post(
        f"{URL}/conflicts/{conflict['id']}/resolve", json={"choice": "both"}, headers=admin
    )
    assert bad.status_code == 422
    assert "choice" in bad.text
    ok = client.post(
        f"{URL}/conflicts/{conflict['id']}/resolve", json={"choice": "take_remote"}, headers=admin
    )
    assert ok.status_code == 200, ok.text
    assert client.get(f"{URL}/conflicts", headers=admin).json() == []
    again = client.post(
        f"{URL}/conflicts/{conflict['id']}/resolve", json={"choice": "take_remote"}, headers=admin
    )
    assert again.status_code == 422

    audit = client.get("/api/v1/admin/audit", headers=admin)
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()]
    assert "crm_sync.connect" in actions and "crm_sync.resolve" in actions
    assert sf.client_secret not in audit.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"system": "zoho"}, "system"),
        ({"client_secret": None}, "client_secret"),
        ({"client_id": None}, "client_id"),
        ({"base_url": "http://10.1.2.3/"}, "base_url"),
        ({"base_url": "ftp://example.com/x"}, "base_url"),
        ({"system": "hubspot", "client_id": None, "client_secret": None}, "access_token"),
        ({"name": ""}, "name"),
        ({"scope": "everyone"}, "scope"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    client: TestClient, local_db: Database, body: dict[str, object], field: str
) -> None:
    admin = token(local_db, "admin")
    data = {
        "name": "SF",
        "system": "salesforce",
        "base_url": "http://127.0.0.1:9/",
        "client_id": "id",
        "client_secret": "s3cret-value",
        **body,
    }
    r = client.post(f"{URL}/connections", json=data, headers=admin)
    assert r.status_code == 422, r.text
    fields = [e.get("field") for e in r.json().get("errors", [])]
    assert field in fields, r.json()
    assert "s3cret-value" not in r.text


def test_only_admins(client: TestClient, local_db: Database) -> None:
    agent = token(local_db, "agent")
    assert client.get(f"{URL}/connections", headers=agent).status_code == 403
    assert client.get(f"{URL}/conflicts", headers=agent).status_code == 403


def test_the_page_shows_connections_and_conflicts(
    client: TestClient, local_db: Database, hs: HubSpotStandin
) -> None:
    with local_db.session() as s:
        create_user(
            s,
            data=UserCreate(email="boss@example.com", password=PASSWORD, role="admin", name="B"),  # type: ignore[arg-type]
        )
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    client.post(
        "/login",
        data={"email": "boss@example.com", "password": PASSWORD, "csrf_token": csrf.group(1)},
    )
    page = client.get("/admin/crm-sync")
    assert page.status_code == 200
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token_field is not None
    bad = client.post(
        "/admin/crm-sync/connections",
        data={
            "csrf_token": token_field.group(1),
            "system": "hubspot",
            "name": "HubSpot",
            "base_url": hs.url,
        },
    )
    assert bad.status_code == 422
    assert "access_token" in bad.text
    make_customer(local_db)
    made = client.post(
        "/admin/crm-sync/connections",
        data={
            "csrf_token": token_field.group(1),
            "system": "hubspot",
            "name": "HubSpot <b>",
            "base_url": hs.url,
            "access_token": hs.token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = client.get("/admin/crm-sync")
    assert "HubSpot &lt;b&gt;" in page.text
    assert hs.token not in page.text
    cid = re.search(r'id="crm-connection-(\d+)"', page.text)
    assert cid is not None
    ran = client.post(
        f"/admin/crm-sync/connections/{cid.group(1)}/run",
        data={"csrf_token": token_field.group(1)},
    )
    assert ran.status_code == 200
    assert "1 contacts · 1 cases · 2 activities" in ran.text
