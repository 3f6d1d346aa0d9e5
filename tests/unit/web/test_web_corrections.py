"""Correcting a post from the pages: the control, CSRF, the redrawn labels, the footer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.crm.correction_models import Correction
from groundswell.crm.models import Interaction

HTMX = {"HX-Request": "true"}


def _setup(factory: Factory, role: str = "agent") -> tuple[int, int]:
    factory.user(role=role)
    twitter = factory.channel("twitter")
    contact = factory.contact("Jane Doe")
    jane = factory.identity("twitter", "@jane", contact)
    post = factory.post(
        twitter,
        "my bag <b>vanished</b>",
        identity_id=jane,
        contact_id=contact,
        sentiment=("positive", 0.3),
    )
    return post, contact


def test_every_post_has_the_control_and_the_footer_names_the_model(
    client: TestClient, factory: Factory
) -> None:
    post, contact = _setup(factory)
    login(client)
    for page in ("/stream", f"/contacts/{contact}"):
        html = client.get(page).text
        assert f'hx-post="/interactions/{post}/correct"' in html
        assert 'name="csrf_token"' in html
        assert 'name="sentiment" value="positive" checked' in html
        assert 'value="churn_threat"' in html
        assert 'class="model-version">vader-' in html
        assert "(lexicon)" in html


def test_htmx_correction_redraws_the_labels(
    client: TestClient, factory: Factory, db: Database
) -> None:
    post, _ = _setup(factory)
    login(client)
    token = page_csrf(client)
    response = client.post(
        f"/interactions/{post}/correct",
        data={"sentiment": "negative", "intents": ["complaint", "churn_threat"]},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<span class="labels" id="labels-{post}">')
    assert '<span class="badge sentiment negative" title="set by a person">negative</span>' in html
    assert '<span class="badge intent">churn threat</span>' in html
    assert "corrected by ana@example.com" in html
    with db.session() as s:
        stored = s.scalars(select(Correction)).one()
        assert (stored.sentiment_label, stored.intents) == (
            "negative",
            ["complaint", "churn_threat"],
        )
        row = s.get(Interaction, post)
        assert row is not None and row.sentiment_model == "human"
    # The stream shows the corrected post the same way.
    assert "corrected by ana@example.com" in client.get("/stream").text


def test_only_changed_fields_are_recorded(
    client: TestClient, factory: Factory, db: Database
) -> None:
    post, _ = _setup(factory)
    login(client)
    headers = {**HTMX, "X-CSRF-Token": page_csrf(client)}
    client.post(f"/interactions/{post}/correct", data={"sentiment": "negative"}, headers=headers)
    client.post(
        f"/interactions/{post}/correct",
        data={"sentiment": "negative", "intents": ["praise"]},
        headers=headers,
    )
    client.post(
        f"/interactions/{post}/correct",
        data={"sentiment": "negative", "intents": ["praise"]},
        headers=headers,
    )
    with db.session() as s:
        rows = [
            (c.sentiment_label, c.intents)
            for c in s.scalars(select(Correction).order_by(Correction.id))
        ]
    # The last save changed nothing: it confirms both.
    assert rows == [("negative", None), (None, ["praise"]), ("negative", ["praise"])]


def test_plain_form_post_redirects_back(client: TestClient, factory: Factory) -> None:
    post, contact = _setup(factory)
    login(client)
    token = page_csrf(client)
    response = client.post(
        f"/interactions/{post}/correct",
        data={"sentiment": "neutral", "csrf_token": token},
        headers={"Referer": f"http://testserver/contacts/{contact}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{contact}"
    foreign = client.post(
        f"/interactions/{post}/correct",
        data={"sentiment": "neutral", "csrf_token": token},
        headers={"Referer": "https://evil.example/x"},
        follow_redirects=False,
    )
    assert foreign.headers["location"] == "/stream"


def test_csrf_and_login_are_required(client: TestClient, factory: Factory, db: Database) -> None:
    post, _ = _setup(factory)
    anonymous = client.post(
        f"/interactions/{post}/correct", data={"sentiment": "neutral"}, follow_redirects=False
    )
    assert anonymous.status_code in (303, 403)
    login(client)
    forged = client.post(
        f"/interactions/{post}/correct", data={"sentiment": "neutral"}, headers=HTMX
    )
    assert forged.status_code == 403
    with db.session() as s:
        assert s.scalars(select(Correction)).first() is None


def test_bad_values_show_an_error_and_change_nothing(
    client: TestClient, factory: Factory, db: Database
) -> None:
    post, _ = _setup(factory)
    login(client)
    headers = {**HTMX, "X-CSRF-Token": page_csrf(client)}
    response = client.post(
        f"/interactions/{post}/correct", data={"sentiment": "furious"}, headers=headers
    )
    assert response.status_code == 200
    assert 'role="alert">sentiment must be one of negative, neutral, positive' in response.text
    assert '<details class="correct" open>' in response.text
    plain = client.post(
        f"/interactions/{post}/correct",
        data={"intents": ["refund"], "csrf_token": headers["X-CSRF-Token"]},
    )
    assert plain.status_code == 422 and "intents" in plain.text
    assert (
        client.post(
            "/interactions/99999/correct", data={"sentiment": "neutral"}, headers=headers
        ).status_code
        == 404
    )
    with db.session() as s:
        assert s.scalars(select(Correction)).first() is None


def test_hostile_text_in_a_correctors_name_is_escaped(
    client: TestClient, factory: Factory, db: Database
) -> None:
    post, _ = _setup(factory)
    with db.session() as s:
        from groundswell.auth.models import User

        user = s.scalars(select(User)).one()
        user.name = "<script>x</script>"
    login(client)
    headers = {**HTMX, "X-CSRF-Token": page_csrf(client)}
    html = client.post(
        f"/interactions/{post}/correct", data={"sentiment": "neutral"}, headers=headers
    ).text
    assert "<script>x</script>" not in html
    assert "corrected by &lt;script&gt;x&lt;/script&gt;" in html


def test_a_model_that_cannot_load_is_named_not_a_crash(
    client: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(mode: str) -> None:
        raise FileNotFoundError("model.onnx")

    monkeypatch.setattr("groundswell.api.routes_corrections.model_in_use", broken)
    monkeypatch.setattr("groundswell.web.correction_pages.model_in_use", broken)
    user = factory.user()
    login(client)
    assert 'class="model-version">unavailable (lexicon)' in client.get("/stream").text
    token = factory.token(user)
    response = client.get("/api/v1/model", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert "model.onnx" in response.json()["detail"]
