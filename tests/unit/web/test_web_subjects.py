"""Subjects: list, create, edit, delete; query errors with a caret; role checks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

from groundswell.web.subject_pages import caret_at


def test_create_edit_delete(client: TestClient, factory: Factory) -> None:
    factory.user(role="analyst")
    login(client)
    token = page_csrf(client, "/subjects")
    created = client.post(
        "/subjects",
        data={"name": "Acme", "kind": "brand", "query": "acme OR #acme", "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    html = client.get("/subjects").text
    assert "Acme" in html and "acme OR #acme" in html
    subject_id = int(html.split('id="subject-')[1].split('"')[0])

    edit = client.get(f"/subjects/{subject_id}/edit")
    assert edit.status_code == 200 and "acme OR #acme" in edit.text
    updated = client.post(
        f"/subjects/{subject_id}",
        data={"name": "Acme Corp", "kind": "competitor", "query": "acme", "csrf_token": token},
        follow_redirects=False,
    )
    assert updated.status_code == 303
    html = client.get("/subjects").text
    assert "Acme Corp" in html and "competitor" in html and ">no<" in html

    deleted = client.post(
        f"/subjects/{subject_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert "Acme Corp" not in client.get("/subjects").text


def test_invalid_query_shows_error_with_caret(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    token = page_csrf(client, "/subjects")
    response = client.post(
        "/subjects",
        data={"name": "Broken", "kind": "topic", "query": "acme AND (", "csrf_token": token},
    )
    assert response.status_code == 422
    html = response.text
    assert 'class="query-error"' in html
    assert "acme AND (\n" in html and "^</code>" in html
    assert "(position " in html
    assert "Broken" in html  # the form keeps what was typed
    assert "No subjects yet" in html


def test_duplicate_name_is_refused(client: TestClient, factory: Factory) -> None:
    factory.user()
    factory.subject("Acme")
    login(client)
    token = page_csrf(client, "/subjects")
    response = client.post(
        "/subjects", data={"name": "acme", "kind": "brand", "query": "x", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "exists" in response.text


def test_agents_read_but_do_not_edit(client: TestClient, factory: Factory) -> None:
    factory.user(role="agent")
    subject_id = factory.subject("Acme")
    login(client)
    html = client.get("/subjects").text
    assert "Acme" in html
    assert "New subject" not in html and "hx-delete" not in html
    token = page_csrf(client, "/subjects")
    form = {"name": "X", "kind": "brand", "query": "x", "csrf_token": token}
    assert client.post("/subjects", data=form).status_code == 403
    assert client.get(f"/subjects/{subject_id}/edit").status_code == 403
    headers = {"X-CSRF-Token": token}
    assert client.delete(f"/subjects/{subject_id}", headers=headers).status_code == 403


def test_unknown_subject_edit_is_404(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    assert client.get("/subjects/42/edit").status_code == 404


def test_caret_position_on_multiline_query() -> None:
    assert caret_at("acme AND (", 10) == {"line": "acme AND (", "column": 10, "padding": " " * 10}
    caret = caret_at("acme\nOR )", 8)
    assert caret["line"] == "OR )" and caret["column"] == 3
