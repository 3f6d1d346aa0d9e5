"""The Listening page and backfill progress partials; saving a subject starts a backfill."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

from groundswell.core.db import Database
from groundswell.listening.backfill_jobs import JOBS


def test_page_renders_controls_and_chart_data(client: TestClient, factory: Factory) -> None:
    factory.user(role="agent")
    factory.channel("twitter", "X / Twitter")
    acme = factory.subject("Acme", kind="brand")
    factory.subject("<b>Globex</b>", kind="competitor")
    login(client)
    page = client.get(f"/listening?subject={acme}&range=7d")
    assert page.status_code == 200
    html = page.text
    assert f'data-subject-id="{acme}"' in html
    assert 'data-range-seconds="604800"' in html and 'data-resolution="1h"' in html
    assert "&lt;b&gt;Globex&lt;/b&gt;" in html and "<b>Globex</b>" not in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html and "/static/listening.js" in html
    assert f"/listening?subject={acme}&amp;range=24h&amp;res=5m" in html
    # 1m over 7 days is the largest allowed minute range; every resolution is offered.
    assert 'title="Too many points for this range"' not in html
    assert 'aria-current="page">Listening' in html or 'class="active"' in html
    # The CSV export covers what the chart shows: this subject, range and resolution.
    assert f'id="series-csv" href="/api/v1/subjects/{acme}/series.csv?start=' in html
    assert "resolution=1h" in html.split('id="series-csv"')[1].split(">")[0]


def test_stale_choices_fall_back_to_defaults(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    html = client.get("/listening?subject=999&range=1y&res=2m&channel=nope").text
    assert 'data-subject-id="0"' in html and 'data-resolution="5m"' in html
    assert 'data-range-seconds="86400"' in html and 'data-channel=""' in html


def test_login_required(client: TestClient) -> None:
    response = client.get("/listening", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_creating_and_editing_a_subject_backfills_with_progress(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user(role="analyst")
    channel = factory.channel()
    factory.post(channel, "acme lost my bag")
    factory.post(channel, "acme is great", sentiment=("positive", 0.6))
    factory.post(channel, "globex too")
    login(client)
    token = page_csrf(client, "/subjects")
    created = client.post(
        "/subjects",
        data={"name": "Acme", "kind": "brand", "query": "acme", "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    html = client.get("/subjects").text
    subject_id = int(html.split('id="subject-')[1].split('"')[0])
    assert JOBS.wait(db, subject_id).matched == 2
    done = client.get(f"/listening/backfill/{subject_id}").text
    assert "History matched: 2 of 3 stored posts" in done and "hx-trigger" not in done

    updated = client.post(
        f"/subjects/{subject_id}",
        data={"name": "Acme", "kind": "brand", "query": "globex", "csrf_token": token},
        follow_redirects=False,
    )
    assert updated.status_code == 303
    assert JOBS.wait(db, subject_id).matched == 1
    assert "hx-get" not in client.get("/listening/backfills").text

    renamed = client.post(
        f"/subjects/{subject_id}",
        data={"name": "Globex", "kind": "brand", "query": "globex", "csrf_token": token},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    status = JOBS.status(db, subject_id)
    assert status.state == "done" and status.matched == 1, "a rename does not re-match"


def test_custom_range_opens_with_its_own_bounds_and_csv(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    acme = factory.subject("Acme", kind="brand")
    login(client)
    html = client.get(
        f"/listening?subject={acme}&range=custom&res=1m&start=2026-03-01T00:00&end=2026-03-20T00:00"
    ).text
    # 19 days at one-minute buckets is over the cap: the finest resolution that fits.
    assert 'data-resolution="5m"' in html
    assert 'data-start="2026-03-01T00:00:00+00:00"' in html
    assert 'data-end="2026-03-20T00:00:00+00:00"' in html
    csv_link = html.split('id="series-csv" href="')[1].split('"')[0]
    assert "start=2026-03-01T00%3A00%3A00%2B00%3A00" in csv_link
    assert "end=2026-03-20T00%3A00%3A00%2B00%3A00" in csv_link
    backwards = client.get(
        "/listening?range=custom&start=2026-03-20T00:00&end=2026-03-01T00:00"
    ).text
    assert 'id="range-error"' in backwards and "end: end must be after start" in backwards
    assert 'data-range-seconds="86400"' in backwards, "a bad range falls back to 24h"
    # The range form sends no resolution: the finest with a readable number of buckets.
    for start, end, expected in (
        ("2026-03-01T10:00", "2026-03-01T12:00", "1m"),  # 120 minutes
        ("2026-03-01T00:00", "2026-03-02T00:00", "5m"),  # 288 five-minute buckets
        ("2026-03-01T00:00", "2026-03-10T00:00", "1h"),  # 216 hours
        ("2026-01-01T00:00", "2026-12-01T00:00", "1d"),
    ):
        auto = client.get(f"/listening?subject={acme}&range=custom&start={start}&end={end}")
        assert f'data-resolution="{expected}"' in auto.text, (start, end)
        assert (
            'name="res"' not in auto.text.split('aria-label="Custom range"')[1].split("</form>")[0]
        )
    garbage = client.get("/listening?range=custom&start=yesterday&end=").text
    assert "start: start is not an ISO 8601 date-time" in garbage


def test_saved_views_are_personal_and_reopen_the_view(client: TestClient, factory: Factory) -> None:
    factory.user()
    factory.user(email="bo@example.com", role="analyst")
    factory.channel("twitter", "X / Twitter")
    acme = factory.subject("Acme", kind="brand")
    login(client)
    token = page_csrf(client, "/listening")
    saved = client.post(
        "/listening/views",
        data={
            "name": "<i>Acme</i> on X",
            "subject": str(acme),
            "channel": "twitter",
            "range": "7d",
            "res": "1h",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/listening?subject={acme}&range=7d&res=1h&channel=twitter"
    html = client.get("/listening").text
    assert "&lt;i&gt;Acme&lt;/i&gt; on X" in html and "<i>Acme</i>" not in html
    view_id = int(html.split('action="/listening/views/')[1].split("/")[0])

    too_long = client.post(
        "/listening/views",
        data={"name": "x" * 81, "csrf_token": token},
        follow_redirects=False,
    )
    assert too_long.status_code == 422
    nameless = client.post(
        "/listening/views",
        data={"name": "  ", "csrf_token": token},
        follow_redirects=False,
    )
    assert nameless.status_code == 303 and "error=saved+view+name" in nameless.headers["location"]
    open_ended = client.post(
        "/listening/views",
        data={"name": "March", "range": "custom", "start": "2026-03-01T00:00", "csrf_token": token},
        follow_redirects=False,
    )
    assert "error=saved+view+end" in open_ended.headers["location"]

    client.post("/logout", data={"csrf_token": token})
    login(client, email="bo@example.com")
    other = page_csrf(client, "/listening")
    assert "on X" not in client.get("/listening").text
    refused = client.post(
        f"/listening/views/{view_id}/delete", data={"csrf_token": other}, follow_redirects=False
    )
    assert "no+saved+view" in refused.headers["location"]

    client.post("/logout", data={"csrf_token": other})
    login(client)
    token = page_csrf(client, "/listening")
    gone = client.post(
        f"/listening/views/{view_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/listening"
    assert "on X" not in client.get("/listening").text
