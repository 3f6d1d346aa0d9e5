"""The review queue and merge log pages: evidence shown, confirm, reject, unmerge."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.crm.matching.service import match_pending
from groundswell.crm.models import Contact


def _pair(factory: Factory, db: Database) -> tuple[int, int]:
    a = factory.contact("Jane <b>Doe</b>")
    b = factory.contact("Jane <b>Doe</b>")
    factory.identity("twitter", "@janedoe", a)
    factory.identity("mastodon", "jane@mastodon.social", b)
    with db.session() as s:
        match_pending(s, auto_threshold=0.99, review_threshold=0.5)
    return a, b


def test_review_queue_shows_evidence_and_merges_then_unmerges(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user(role="agent")
    a, b = _pair(factory, db)
    login(client)
    page = client.get("/matches")
    assert page.status_code == 200
    assert "Jane &lt;b&gt;Doe&lt;/b&gt;" in page.text and "<b>Doe</b>" not in page.text
    assert "handle / email" in page.text and "janedoe / jane" in page.text
    pair_id = int(re.search(r'id="pair-(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    csrf = page_csrf(client, "/matches")
    done = client.post(
        f"/matches/{pair_id}/confirm", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    with db.session() as s:
        merged = s.get(Contact, b)
        assert merged is not None and merged.merged_into_id == a
    log = client.get("/matches/log").text
    assert "user:ana@example.com" in log and "confirmed in review" in log
    event_id = int(re.search(r'id="merge-(\d+)"', log).group(1))  # type: ignore[union-attr]
    again = client.post(
        f"/matches/{pair_id}/confirm", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert again.status_code == 409
    undo = client.post(
        f"/matches/log/{event_id}/unmerge", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert undo.status_code == 303
    with db.session() as s:
        assert s.scalars(select(Contact.merged_into_id)).all() == [None, None]
    assert "undone" in client.get("/matches/log").text
    twice = client.post(
        f"/matches/log/{event_id}/unmerge", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert twice.status_code == 409


def test_reject_needs_csrf_and_empties_queue(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user()
    _pair(factory, db)
    login(client)
    page = client.get("/matches").text
    pair_id = int(re.search(r'id="pair-(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert client.post(f"/matches/{pair_id}/reject", data={}).status_code in (400, 403)
    csrf = page_csrf(client, "/matches")
    client.post(f"/matches/{pair_id}/reject", data={"csrf_token": csrf})
    assert "Nothing to review" in client.get("/matches").text


def test_api_merge_conflict_is_409(client: TestClient, factory: Factory, db: Database) -> None:
    token = factory.token(factory.user())
    headers = {"Authorization": f"Bearer {token}"}
    a, b = _pair(factory, db)
    c = factory.contact("Other")
    first = client.post(
        "/api/v1/identity/merges",
        json={"kept_contact_id": a, "merged_contact_id": b},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    second = client.post(
        "/api/v1/identity/merges",
        json={"kept_contact_id": c, "merged_contact_id": b},
        headers=headers,
    )
    assert second.status_code == 409 and "already merged" in second.json()["detail"]
    log = client.get("/api/v1/identity/merges", headers=headers).json()
    assert [e["merged_contact_id"] for e in log] == [b]
