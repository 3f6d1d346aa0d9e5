"""The Alerts, Rules and Deliveries pages on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from alerts_world import World, login
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.core.db import Database
from groundswell.settings import Settings


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


def test_agent_sees_alerts_escaped_and_acknowledges(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    world.alert(status="resolved", minutes=-90)
    token = login(client, "bo@example.com")
    page = client.get("/alerts")
    assert page.status_code == 200
    html = page.text
    assert "Delta &lt;b&gt;Air&lt;/b&gt;" in html and "<b>Air</b>" not in html
    assert f'href="/drilldown?alert_id={alert_id}"' in html
    assert html.count('class="alert-row') == 1  # resolved ones are on their own tab
    # the columns read as the summary does: "42 vs 6 expected", not 6.0
    assert '<td class="num">42</td><td class="num">6</td>' in html
    assert "/acknowledge" in html and "/assign" not in html  # agents do not assign
    done = client.post(
        f"/alerts/{alert_id}/acknowledge",
        data={"csrf_token": token, "view": "active"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/alerts?view=active"
    assert "acknowledged by bo@example.com" in client.get("/alerts").text
    denied = client.post(
        f"/alerts/{alert_id}/assign", data={"csrf_token": token, "user_id": str(world.agent)}
    )
    assert denied.status_code == 403
    assert client.post(f"/alerts/{alert_id}/acknowledge", data={}).status_code == 403
    assert "resolved" in client.get("/alerts?view=resolved").text


def test_the_list_polls_without_redrawing_when_nothing_changed(
    client: TestClient, world: World
) -> None:
    world.alert()
    login(client, "bo@example.com")
    html = client.get("/alerts").text
    poll = re.search(r'hx-get="(/alerts/list\?[^"]+)"', html)
    assert poll, "no poller on the page"
    url = poll.group(1).replace("&amp;", "&")
    assert client.get(url).status_code == 204
    world.alert(minutes=5)
    fresh = client.get(url)
    assert fresh.status_code == 200 and fresh.text.count('class="alert-row') == 2
    badge = client.get("/alerts/badge")
    assert ">2<" in badge.text


def test_managers_assign_suppress_and_resolve(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    token = login(client, "ana@example.com")
    for action, extra in (
        ("assign", {"user_id": str(world.agent)}),
        ("suppress", {"minutes": "60"}),
        ("resolve", {}),
    ):
        response = client.post(
            f"/alerts/{alert_id}/{action}",
            data={"csrf_token": token, "view": "all", **extra},
            follow_redirects=False,
        )
        assert response.status_code == 303, action
    html = client.get("/alerts?view=all").text
    assert "assigned to bo@example.com" in html and "resolved" in html
    assert "Nothing is suppressed" not in client.get("/alerts/rules").text
    missing = client.post("/alerts/99999/resolve", data={"csrf_token": token})
    assert missing.status_code == 404


def test_rules_page_names_the_bad_target_line(client: TestClient, world: World) -> None:
    token = login(client, "ana@example.com")
    form = {
        "csrf_token": token,
        "name": "Care",
        "metrics": ["negative"],
        "min_severity": "5",
        "targets": "email care@example.com\nwebhook ftp://nope\n",
    }
    bad = client.post("/alerts/rules", data=form)
    assert bad.status_code == 422
    assert "targets line 2: must be an absolute http:// or https:// URL" in bad.text
    assert "ftp://nope" in bad.text  # what was typed is kept
    good = client.post(
        "/alerts/rules",
        data={**form, "targets": "email care@example.com\nin-app"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get("/alerts/rules").text
    assert "care@example.com" in page and "in_app" in page
    rule_id = re.search(r'id="rule-(\d+)"', page)
    assert rule_id
    edit = client.get(f"/alerts/rules/{rule_id.group(1)}/edit")
    assert edit.status_code == 200 and "email care@example.com\nin_app" in edit.text


def test_agents_read_rules_but_do_not_edit_them(client: TestClient, world: World) -> None:
    world.rule()
    token = login(client, "bo@example.com")
    page = client.get("/alerts/rules").text
    assert "hooks.example.com" in page and "New rule" not in page
    denied = client.post("/alerts/rules", data={"csrf_token": token, "name": "x"})
    assert denied.status_code == 403


def test_dead_deliveries_are_visible_and_retried(client: TestClient, world: World) -> None:
    alert_id = world.alert()
    dead = world.delivery(alert_id)
    token = login(client, "ana@example.com")
    html = client.get("/alerts/deliveries?status=dead").text
    assert f'id="delivery-{dead}"' in html
    assert "receiver answered HTTP 500" in html
    assert "SECRET" not in html
    retried = client.post(
        f"/alerts/deliveries/{dead}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert f'id="delivery-{dead}"' not in client.get("/alerts/deliveries?status=dead").text


def test_navigation_carries_the_live_badge(client: TestClient, world: World) -> None:
    login(client, "bo@example.com")
    html = client.get("/stream").text
    assert 'href="/alerts"' in html and 'hx-get="/alerts/badge"' in html
    assert client.get("/alerts/badge").text.strip() == ""


def test_an_admin_edits_a_rule_without_ever_seeing_its_webhook_secret(
    client: TestClient, world: World
) -> None:
    from groundswell.listening.alerts.models import AlertRule

    rule_id = world.rule()
    token = login(client, "ana@example.com")
    assert "secret-path" not in client.get("/alerts/rules").text
    edit = client.get(f"/alerts/rules/{rule_id}/edit")
    assert edit.status_code == 200
    assert "secret-path" not in edit.text
    assert "webhook https://hooks.example.com/…" in edit.text
    form = {
        "csrf_token": token,
        "name": "care, renamed",
        "metrics": ["negative"],
        "min_severity": "2",
        "targets": "webhook https://hooks.example.com/…\nin-app",  # the form as shown
    }
    saved = client.post(f"/alerts/rules/{rule_id}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    with world.db.session() as s:
        rule = s.get(AlertRule, rule_id)
        assert rule is not None and rule.name == "care, renamed"
        assert rule.targets[0] == {"kind": "webhook", "to": "https://hooks.example.com/secret-path"}
