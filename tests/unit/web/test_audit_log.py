"""The audit log covers merges, privacy requests and reply approvals; the viewer filters
and pages it; the CSV export streams it and is itself audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from groundswell.auth.audit import Actor, record
from groundswell.auth.models import AuditEntry
from groundswell.core.db import Database
from groundswell.crm.matching.merge import merge_contacts, unmerge
from groundswell.crm.privacy import erase_person, export_person


def _actions(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(e.actor, e.action) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_merges_and_privacy_requests_are_audited(db: Database, factory: Factory) -> None:
    a = factory.contact("Jane A", email="jane@example.com")
    b = factory.contact("Jane B")
    c = factory.contact("Someone")
    with db.session() as s:
        event = merge_contacts(s, kept_id=a, merged_id=b, actor="user:ana@example.com", reason="x")
    with db.session() as s:
        unmerge(s, event_id=event.id, actor="cli")
    with db.session() as s:
        export_person(s, contact_id=c, actor="user:lea@example.com")
    with db.session() as s:
        erase_person(s, contact_id=c, actor="user:lea@example.com")
    assert _actions(db) == [
        ("ana@example.com", "contact.merge"),
        ("cli", "contact.unmerge"),
        ("lea@example.com", "privacy.export"),
        ("lea@example.com", "privacy.erase"),
    ]


def _seed(db: Database, n: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for i in range(n):
            record(
                s,
                actor=Actor(user_id=None, label="bob@example.com" if i % 2 else "cli"),
                action="user.create" if i % 3 else "token.revoke",
                target='=HYPERLINK("http://evil")' if i == 0 else f"user {i}",
            )
        for i, entry in enumerate(s.scalars(select(AuditEntry).order_by(AuditEntry.id))):
            entry.at = start + timedelta(days=i)


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="audit-(\d+)"', html)]


def test_viewer_filters_and_pages(client: TestClient, factory: Factory, db: Database) -> None:
    factory.user(email="ana@example.com", role="admin")
    factory.user(email="agent@example.com", role="agent")
    _seed(db, 230)
    login(client, "agent@example.com")
    assert client.get("/admin/audit").status_code == 403
    login(client)
    first = client.get("/admin/audit")
    assert first.status_code == 200
    assert first.text.count('<tr id="audit-') == 100
    assert 'href="/admin/audit"' in first.text  # in the navigation for admins
    older = first.text.split('">older →</a>')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    second = client.get(older)
    assert second.text.count('<tr id="audit-') == 100
    ids_first, ids_second = _ids(first.text), _ids(second.text)
    assert min(ids_first) > max(ids_second)  # newest first, no overlap
    only = client.get("/admin/audit?actor=bob@example.com&action=token.revoke")
    rows = only.text.count('<tr id="audit-')
    assert rows == len([i for i in range(230) if i % 2 and not i % 3])
    period = client.get("/admin/audit?since=2026-01-03&until=2026-01-04")
    assert period.text.count('<tr id="audit-') == 2
    assert client.get("/admin/audit?since=yesterday").status_code == 422
    assert client.get("/admin/audit?before_id=99999999999999999999").status_code == 422


def test_csv_export_streams_every_row_and_is_audited(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user(email="ana@example.com", role="admin")
    _seed(db, 1203)
    login(client)
    page_csrf(client, "/admin/audit")
    response = client.get("/admin/audit/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["id", "at", "actor", "action"]
    body = rows[1:]
    assert len(body) == 1203 + 2  # the seeded rows, the login and the export's own entry
    assert body[0][3] == "audit.export" and body[0][2] == "ana@example.com"
    assert [int(r[0]) for r in body] == sorted((int(r[0]) for r in body), reverse=True)
    formula = next(r for r in body if "HYPERLINK" in r[6])
    assert formula[6].startswith("'=")  # a spreadsheet will not run it
    filtered = client.get("/admin/audit/export.csv?action=token.revoke&actor=cli")
    lines = list(csv.reader(io.StringIO(filtered.text)))[1:]
    assert lines and all(r[3] == "token.revoke" and r[2] == "cli" for r in lines)
    assert len(lines) == len([i for i in range(1203) if not i % 2 and not i % 3])
    exports = [a for _, a in _actions(db) if a == "audit.export"]
    assert len(exports) == 2


def test_api_audit_filters_by_actor_and_period(
    client: TestClient, factory: Factory, db: Database
) -> None:
    admin = factory.user(email="ana@example.com", role="admin")
    auth = {"Authorization": f"Bearer {factory.token(admin)}"}
    _seed(db, 10)
    got = client.get("/api/v1/admin/audit?actor=cli&until=2026-01-05T00:00:00Z", headers=auth)
    assert got.status_code == 200
    assert [e["actor"] for e in got.json()] == ["cli", "cli"]
    export = client.get("/api/v1/admin/audit/export.csv?actor=cli", headers=auth)
    assert export.status_code == 200 and export.text.startswith("id,at,actor")
    assert client.get("/api/v1/admin/audit?actor=", headers=auth).status_code == 422
