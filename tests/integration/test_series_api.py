"""Series, share of voice and backfill over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction
from groundswell.listening.alerts.models import Anomaly
from groundswell.listening.backfill_jobs import JOBS
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.settings import Settings

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


def _headers(db: Database, role: str = "analyst") -> dict[str, str]:
    with db.session() as s:
        user = create_user(
            s,
            data=UserCreate(email=f"{role}@example.com", password="x" * 12, role=role),  # type: ignore[arg-type]
        )
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user.id, name="t")}


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """Two channels, a brand and a competitor, and rollups around T0."""
    with db.session() as s:
        tw, ma = Channel(key="twitter", name="Twitter"), Channel(key="mastodon", name="Mastodon")
        acme = Subject(name="Acme", kind="brand", query="acme")
        globex = Subject(name="Globex", kind="competitor", query="globex")
        topic = Subject(name="Delays", kind="topic", query="delayed")
        s.add_all([tw, ma, acme, globex, topic])
        s.flush()

        def roll(minute: int, subject: int, channel: int, label: str, n: int, total: float) -> None:
            s.add(
                MinuteRollup(
                    minute=T0 + timedelta(minutes=minute),
                    subject_id=subject,
                    channel_id=channel,
                    sentiment_label=label,
                    count=n,
                    sentiment_sum=total,
                )
            )

        roll(0, acme.id, tw.id, "negative", 3, -1.5)
        roll(0, acme.id, ma.id, "positive", 1, 0.5)
        roll(2, acme.id, tw.id, "neutral", 2, 0.0)
        roll(7, acme.id, tw.id, "positive", 4, 2.0)
        roll(0, globex.id, tw.id, "negative", 2, -1.0)
        roll(65, globex.id, tw.id, "positive", 1, 0.25)
        roll(0, ALL_POSTS, tw.id, "negative", 9, -3.0)
        roll(-1, acme.id, tw.id, "negative", 100, -50.0)  # before the range
        s.add(
            Anomaly(
                subject_id=acme.id,
                metric="volume",
                minute=T0 + timedelta(minutes=7),
                expected=1.0,
                observed=4.0,
                severity=6,
                p_value=0.001,
            )
        )
        return {"tw": tw.id, "ma": ma.id, "acme": acme.id, "globex": globex.id, "topic": topic.id}


def _get(client: TestClient, h: dict[str, str], url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=h)
    assert response.status_code == 200, response.text
    return response.json()


def test_subject_series_at_minute_resolution(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _headers(db)
    body = _get(
        client,
        h,
        f"/api/v1/subjects/{world['acme']}/series",
        start="2024-05-01T12:00:00Z",
        end="2024-05-01T12:10:00Z",
        resolution="1m",
    )
    assert body["subject_name"] == "Acme" and body["step_seconds"] == 60
    assert len(body["t"]) == 10 and body["t"][0].startswith("2024-05-01T12:00:00")
    assert body["volume"] == [4, 0, 2, 0, 0, 0, 0, 4, 0, 0]
    assert (body["negative"][0], body["neutral"][0], body["positive"][0]) == (3, 0, 1)
    assert body["net_sentiment"][0] == pytest.approx(-0.5)
    assert body["mean_score"][0] == pytest.approx(-0.25)
    assert body["net_sentiment"][1] is None and body["mean_score"][1] is None
    assert body["positive"][7] == 4
    assert body["totals"]["volume"] == 10
    assert [(m["minute"][:16], m["severity"]) for m in body["spikes"]] == [("2024-05-01T12:07", 6)]


def test_an_outage_of_a_busy_store_is_a_gap_not_a_drop(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    """Minutes with nothing stored while the store usually holds ~20 a minute are gaps;
    in a quiet store the same silence is plausible and stays a zero."""
    h = _headers(db)
    url = f"/api/v1/subjects/{world['acme']}/series"
    params = {"start": "2024-05-01T14:00:00Z", "end": "2024-05-01T14:10:00Z", "resolution": "1m"}
    quiet = _get(client, h, url, **params)
    assert quiet["gaps"] == [False] * 10
    with db.session() as s:
        for minute in (0, 1, 2, 6, 7, 8, 9):  # 3-5: the system was down
            s.add(
                MinuteRollup(
                    minute=datetime(2024, 5, 1, 14, minute, tzinfo=UTC),
                    subject_id=ALL_POSTS,
                    channel_id=world["tw"],
                    sentiment_label="neutral",
                    count=20,
                    sentiment_sum=0.0,
                )
            )
    busy = _get(client, h, url, **params)
    assert busy["gaps"] == [False, False, False, True, True, True, False, False, False, False]
    assert busy["volume"] == [0] * 10  # Acme itself was quiet: zeros outside the gap are real
    csv_lines = client.get(url + ".csv", headers=h, params=params).text.splitlines()
    assert [line.rsplit(",", 1)[1] for line in csv_lines[1:]] == [
        "0", "0", "0", "1", "1", "1", "0", "0", "0", "0",
    ]  # fmt: skip


def test_coarser_resolution_and_channel_filter(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _headers(db)
    url = f"/api/v1/subjects/{world['acme']}/series"
    five = _get(
        client, h, url, start="2024-05-01T12:00:00Z", end="2024-05-01T12:10:00Z", resolution="5m"
    )
    assert five["volume"] == [6, 4]
    # Unaligned bounds widen to whole buckets; offsets are converted to UTC.
    hourly = _get(
        client,
        h,
        url,
        start="2024-05-01T13:30:00+01:00",
        end="2024-05-01T13:00:00+00:00",
        resolution="1h",
    )
    assert [t[:13] for t in hourly["t"]] == ["2024-05-01T12"] and hourly["volume"] == [10]
    daily = _get(client, h, url, start="2024-04-30", end="2024-05-02", resolution="1d")
    assert daily["volume"] == [0, 110]
    mastodon = _get(
        client, h, url, start="2024-05-01T12:00:00Z", end="2024-05-01T12:10:00Z", channel="mastodon"
    )
    assert mastodon["totals"]["volume"] == 1 and mastodon["channel"] == "mastodon"
    everything = _get(
        client, h, "/api/v1/series/all", start="2024-05-01T12:00:00Z", end="2024-05-01T12:05:00Z"
    )
    assert everything["subject_id"] == 0 and everything["totals"]["negative"] == 9


def test_share_of_voice_brand_against_competitors(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _headers(db)
    body = _get(
        client,
        h,
        "/api/v1/share-of-voice",
        start="2024-05-01T12:00:00Z",
        end="2024-05-01T14:00:00Z",
        resolution="1h",
    )
    shares = {s["name"]: (s["volume"], s["share"], s["volumes"]) for s in body["subjects"]}
    assert shares == {"Acme": (10, 0.7692, [10, 0]), "Globex": (3, 0.2308, [2, 1])}
    assert body["total"] == 13 and len(body["buckets"]) == 2
    chosen = _get(
        client,
        h,
        "/api/v1/share-of-voice",
        start="2024-05-01T12:00:00Z",
        end="2024-05-01T14:00:00Z",
        subject_ids=[world["topic"], world["globex"]],
    )
    assert [s["name"] for s in chosen["subjects"]] == ["Delays", "Globex"]
    assert [s["share"] for s in chosen["subjects"]] == [0.0, 1.0]
    topics = _get(client, h, "/api/v1/share-of-voice", kind="topic")
    assert [s["name"] for s in topics["subjects"]] == ["Delays"]
    assert topics["subjects"][0]["share"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "query.start"),
        ({"end": "2024-13-01T00:00:00Z"}, "query.end"),
        ({"start": "2024-05-02T00:00:00Z", "end": "2024-05-01T00:00:00Z"}, "query.end"),
        ({"start": "2024-05-01T00:00:00Z", "end": "2024-05-01T00:00:00Z"}, "query.end"),
        ({"start": "2024-05-01T00:00:00Z", "end": "2024-05-09T00:00:00Z"}, "query.end"),
        (
            {"start": "2020-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z", "resolution": "1h"},
            "query.end",
        ),
        ({"resolution": "2m"}, "query.resolution"),
        ({"channel": "myspace"}, "query.channel"),
    ],
)
def test_bad_ranges_are_422_naming_the_field(
    client: TestClient, db: Database, world: dict[str, int], params: dict[str, str], field: str
) -> None:
    h = _headers(db)
    for url in (f"/api/v1/subjects/{world['acme']}/series", "/api/v1/series/all"):
        response = client.get(url, params=params, headers=h)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    voice = client.get("/api/v1/share-of-voice", params={"resolution": "1m", **params}, headers=h)
    assert voice.status_code == 422
    assert voice.json()["errors"][0]["field"] == field


def test_week_at_minute_resolution_is_the_largest_range(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    body = _get(
        client,
        _headers(db),
        "/api/v1/series/all",
        start="2024-05-01T00:00:00Z",
        end="2024-05-08T00:00:00Z",
    )
    assert len(body["t"]) == len(body["volume"]) == 7 * 24 * 60


def test_unknown_subject_and_missing_token(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _headers(db)
    assert client.get("/api/v1/subjects/999/series", headers=h).status_code == 404
    assert client.get("/api/v1/subjects/1/series").status_code == 401
    response = client.get("/api/v1/share-of-voice", params={"subject_ids": [999]}, headers=h)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.subject_ids"


def test_backfill_routes(client: TestClient, db: Database, world: dict[str, int]) -> None:
    with db.session() as s:
        author = Identity(platform="twitter", external_id="1", handle="@a")
        s.add(author)
        s.flush()
        s.add(
            Interaction(
                channel_id=world["tw"],
                external_id="p1",
                direction="in",
                identity_id=author.id,
                text="my flight was delayed",
                created_at=T0,
                sentiment_label="negative",
                sentiment_score=-0.4,
                subject_ids=[],
            )
        )
    analyst, agent = _headers(db), _headers(db, "agent")
    url = f"/api/v1/subjects/{world['topic']}/backfill"
    assert client.post(url, headers=agent).status_code == 403
    assert client.post("/api/v1/subjects/999/backfill", headers=analyst).status_code == 404
    started = client.post(url, headers=analyst)
    assert started.status_code == 202 and started.json()["state"] == "running"
    JOBS.wait(db, world["topic"])
    status = _get(client, agent, url)
    assert (status["state"], status["scanned"], status["matched"]) == ("done", 1, 1)
    series = _get(
        client,
        agent,
        f"/api/v1/subjects/{world['topic']}/series",
        start="2024-05-01T12:00:00Z",
        end="2024-05-01T12:01:00Z",
    )
    assert series["totals"]["negative"] == 1


def test_saving_a_subject_through_the_api_backfills_it(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    with db.session() as s:
        author = Identity(platform="twitter", external_id="1", handle="@a")
        s.add(author)
        s.flush()
        for i, text in enumerate(["initech is down", "initech rocks", "unrelated"]):
            s.add(
                Interaction(
                    channel_id=world["tw"],
                    external_id=f"p{i}",
                    direction="in",
                    identity_id=author.id,
                    text=text,
                    created_at=T0,
                    sentiment_label="neutral",
                    sentiment_score=0.0,
                    subject_ids=[],
                )
            )
    h = _headers(db)
    created = client.post(
        "/api/v1/subjects", json={"name": "Initech", "query": "initech"}, headers=h
    )
    assert created.status_code == 201
    sid = created.json()["id"]
    assert JOBS.wait(db, sid).state == "done"
    assert _get(client, h, f"/api/v1/subjects/{sid}/backfill")["matched"] == 2
    changed = client.patch(f"/api/v1/subjects/{sid}", json={"query": "down"}, headers=h)
    assert changed.status_code == 200
    assert JOBS.wait(db, sid).matched == 1
    series = _get(
        client,
        h,
        f"/api/v1/subjects/{sid}/series",
        start="2024-05-01T12:00:00Z",
        end="2024-05-01T12:01:00Z",
    )
    assert series["totals"]["volume"] == 1


def test_series_as_csv_matches_the_json(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    h = _headers(db)
    params = {"start": "2024-05-01T12:00:00Z", "end": "2024-05-01T12:10:00Z", "resolution": "1m"}
    url = f"/api/v1/subjects/{world['acme']}/series"
    response = client.get(url + ".csv", headers=h, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "bucket_start_utc,volume,negative,neutral,positive,net_sentiment,gap"
    assert lines[1] == "2024-05-01T12:00:00Z,4,3,0,1,-0.5000,0"
    assert lines[2] == "2024-05-01T12:01:00Z,0,0,0,0,,0"
    assert len(lines) == 11
    assert (
        sum(int(x.split(",")[1]) for x in lines[1:])
        == _get(client, h, url, **params)["totals"]["volume"]
    )
    bad = client.get(url + ".csv", headers=h, params={**params, "resolution": "2m"})
    assert bad.status_code == 422


def test_share_of_voice_counts_what_the_posts_figure_counts(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    """Hourly buckets span more than a range that starts mid-hour; the counts must not."""
    h = _headers(db)
    window = {"start": "2024-05-01T12:01:00Z", "end": "2024-05-01T13:01:00Z"}
    series = _get(client, h, f"/api/v1/subjects/{world['acme']}/series", resolution="1m", **window)
    voice = _get(client, h, "/api/v1/share-of-voice", resolution="1h", **window)
    acme = next(s for s in voice["subjects"] if s["name"] == "Acme")
    assert series["totals"]["volume"] == 6
    assert acme["volume"] == series["totals"]["volume"]
