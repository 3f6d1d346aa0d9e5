"""Corrections over the API on SQLite and PostgreSQL: stored with who and when, applied to
the post, and the post's rollup contribution moved exactly once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.correction_models import Correction
from groundswell.crm.corrections import correct, load_correction_examples
from groundswell.crm.models import Interaction
from groundswell.crm.remember import remember_batch
from groundswell.enrichment.base import Enrichment, Entities, Language, Sentiment
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.settings import Settings
from groundswell.training.examples import LabeledExample

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Cells = dict[tuple[int, int, str], tuple[int, float]]


def _post(ext: str, *, minutes: int = 0, direction: str = "in", text: str = "hello") -> InboundPost:
    return InboundPost.model_validate(
        {
            "channel": "twitter",
            "external_id": ext,
            "direction": direction,
            "text": text,
            "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "author": {"external_id": "brand" if direction == "out" else f"a{ext}"},
        }
    )


def _enr(label: str, score: float, subjects: tuple[int, ...] = ()) -> Enrichment:
    return Enrichment(
        language=Language("en", 0.9),
        sentiment=Sentiment(score, label, 0.8),
        entities=Entities(),
        influence=1.0,
        subject_ids=subjects,
        intent="support_question",
        intents={"support_question": 0.7, "complaint": 0.55},
        versions={"sentiment": "vader-test"},
    )


def _cells(db: Database) -> Cells:
    with db.session() as s:
        return {
            (r.minute.minute, r.subject_id, r.sentiment_label): (r.count, round(r.sentiment_sum, 6))
            for r in s.scalars(select(MinuteRollup))
            if r.count or r.sentiment_sum
        }


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """Three inbound posts (two on subject 7) and one outbound reply, stored by the pipeline."""
    with db.session() as s:
        s.add(Subject(id=7, name="Acme", query="acme"))
    items = [
        (_post("1", text="acme lost my bag"), _enr("positive", 0.4, (7,))),
        (_post("2"), _enr("negative", -0.5, (7,))),
        (_post("3", minutes=1), _enr("neutral", 0.0)),
        (_post("4", minutes=1, direction="out"), _enr("positive", 0.9)),
    ]
    with db.session() as s:
        stored = remember_batch(s, items=items, channels=ChannelIds()).stored
        ids = {x.external_id: x.id for x in stored}
        admin = create_user(s, data=UserCreate(email="ana@example.com", password="x" * 12))
        agent = create_user(
            s, data=UserCreate(email="bo@example.com", password="x" * 12, name="Bo", role="agent")
        )
    return {"p1": ids["1"], "p2": ids["2"], "p3": ids["3"], "out": ids["4"]} | {
        "admin": admin.id,
        "agent": agent.id,
    }


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedded_worker=False)) as c:
        yield c


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _auth(db: Database, user_id: int) -> dict[str, str]:
    with db.session() as s:
        return {"Authorization": "Bearer " + create_api_token(s, user_id=user_id, name="t")}


def test_correction_moves_the_rollups_for_every_subject(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    before = _cells(db)
    assert before[(0, 7, "positive")] == (1, 0.4)
    response = client.post(
        f"/api/v1/interactions/{world['p1']}/corrections",
        json={"sentiment": "negative"},
        headers=_auth(db, world["agent"]),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sentiment"] == "negative"
    assert body["previous_sentiment"] == "positive"
    assert body["previous_intents"] == ["support_question", "complaint"]
    assert body["intents"] is None
    assert body["model_version"] == "vader-test"
    assert (body["user_id"], body["user_name"]) == (world["agent"], "Bo")

    after = _cells(db)
    for subject in (7, ALL_POSTS):
        assert (0, subject, "positive") not in after
        # The post now counts as negative with the human score -1.
        assert after[(0, subject, "negative")] == (2, -1.5)
    assert after[(1, ALL_POSTS, "neutral")] == before[(1, ALL_POSTS, "neutral")]
    with db.session() as s:
        row = s.get(Interaction, world["p1"])
        assert row is not None
        assert (row.sentiment_label, row.sentiment_score) == ("negative", -1.0)
        assert (row.sentiment_confidence, row.sentiment_model) == (1.0, "human")
        assert row.intents == {"support_question": 0.7, "complaint": 0.55}  # untouched


def test_intents_only_leave_the_rollups_alone(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    before = _cells(db)
    headers = _auth(db, world["admin"])
    url = f"/api/v1/interactions/{world['p2']}/corrections"
    response = client.post(
        url, json={"intents": ["churn_threat", "complaint", "complaint"]}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["intents"] == ["complaint", "churn_threat"]
    assert _cells(db) == before
    with db.session() as s:
        row = s.get(Interaction, world["p2"])
        assert row is not None
        assert row.intents == {"complaint": 1.0, "churn_threat": 1.0}
        assert row.intent == "complaint"
        assert row.sentiment_model == "vader-test"
    # A second intents correction was preceded by a human one.
    again = client.post(url, json={"intents": []}, headers=headers).json()
    assert again["model_version"] == "human"
    assert again["previous_intents"] == ["churn_threat", "complaint"]


def test_outbound_posts_are_refused_and_never_touch_the_rollups(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    before = _cells(db)
    url = f"/api/v1/interactions/{world['out']}/corrections"
    headers = _auth(db, world["admin"])
    for body in ({"sentiment": "negative"}, {"intents": ["complaint"]}):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert error["field"] == "interaction_id"
        assert f"interaction {world['out']}" in error["reason"]
    assert _cells(db) == before
    assert client.get(url, headers=headers).json() == []
    with db.session() as s:
        row = s.get(Interaction, world["out"])
        assert row is not None
        assert row.sentiment_model != "human"


def test_history_is_kept_and_rollups_follow_each_correction(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    headers = _auth(db, world["admin"])
    base = _cells(db)
    url = f"/api/v1/interactions/{world['p3']}/corrections"
    for label in ("negative", "positive", "neutral"):
        assert client.post(url, json={"sentiment": label}, headers=headers).status_code == 201
    history = client.get(url, headers=headers).json()
    assert [h["sentiment"] for h in history] == ["neutral", "positive", "negative"]
    assert [h["previous_sentiment"] for h in history] == ["positive", "negative", "neutral"]
    assert [h["model_version"] for h in history] == ["human", "human", "vader-test"]
    # Back to neutral with the human score 0.0, the same as the model gave: no net change.
    assert _cells(db) == base
    listed = client.get("/api/v1/corrections", headers=headers).json()
    assert len(listed) == 3
    since = datetime.now(UTC) + timedelta(hours=1)
    later = client.get("/api/v1/corrections", params={"since": since.isoformat()}, headers=headers)
    assert later.status_code == 200 and later.json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sentiment": "furious"}, "sentiment"),
        ({"intents": ["refund"]}, "intents.0"),
        ({"intents": "complaint"}, "intents"),
        ({"sentiment": "negative", "mood": "x"}, "mood"),
    ],
)
def test_invalid_labels_are_422_naming_the_field(
    client: TestClient, db: Database, world: dict[str, int], body: dict[str, object], field: str
) -> None:
    before = _cells(db)
    response = client.post(
        f"/api/v1/interactions/{world['p1']}/corrections",
        json=body,
        headers=_auth(db, world["admin"]),
    )
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _cells(db) == before


def test_empty_body_and_unknown_post(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    headers = _auth(db, world["admin"])
    empty = client.post(f"/api/v1/interactions/{world['p1']}/corrections", json={}, headers=headers)
    assert empty.status_code == 422
    assert "sentiment, intents" in empty.json()["errors"][0]["reason"]
    missing = client.post(
        "/api/v1/interactions/999999/corrections", json={"sentiment": "neutral"}, headers=headers
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/interactions/999999/corrections", headers=headers).status_code == 404
    bad_since = client.get("/api/v1/corrections", params={"since": "yesterday"}, headers=headers)
    assert bad_since.status_code == 422
    assert bad_since.json()["errors"][0]["field"] == "query.since"


def test_browser_session_needs_the_csrf_header(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    form = {"email": "ana@example.com", "password": "x" * 12, "next": "/"}
    form["csrf_token"] = _csrf(client.get("/login").text)
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    token = _csrf(client.get("/stream").text)
    url = f"/api/v1/interactions/{world['p1']}/corrections"
    assert client.post(url, json={"sentiment": "neutral"}).status_code == 403
    sent = client.post(url, json={"sentiment": "neutral"}, headers={"X-CSRF-Token": token})
    assert sent.status_code == 201
    assert sent.json()["user_id"] == world["admin"]


def test_service_refuses_unknown_labels(db: Database, world: dict[str, int]) -> None:
    with db.session() as s:
        with pytest.raises(InvalidInputError) as caught:
            correct(
                s, interaction_id=world["p1"], user_id=None, sentiment_label="meh", intents=None
            )
        assert caught.value.field == "sentiment"
        with pytest.raises(InvalidInputError) as caught:
            correct(
                s, interaction_id=world["p1"], user_id=None, sentiment_label=None, intents=["x"]
            )
        assert caught.value.field == "intents"


def test_training_examples_take_the_latest_of_each_field(
    db: Database, settings: Settings, world: dict[str, int]
) -> None:
    with db.session() as s:
        correct(
            s, interaction_id=world["p1"], user_id=None, sentiment_label="positive", intents=None
        )
        correct(
            s, interaction_id=world["p1"], user_id=None, sentiment_label="negative", intents=None
        )
        correct(
            s, interaction_id=world["p1"], user_id=None, sentiment_label=None, intents=["complaint"]
        )
        correct(s, interaction_id=world["p2"], user_id=None, sentiment_label=None, intents=[])
        # One kept from before outbound posts were refused: the brand's voice is no example.
        s.add(Correction(interaction_id=world["out"], sentiment_label="negative"))
    examples = load_correction_examples(settings.database_url)
    assert examples == [
        LabeledExample("acme lost my bag", "negative", ("complaint",), "correction"),
        LabeledExample("hello", None, (), "correction"),
    ]


def test_model_in_use(client: TestClient, db: Database, world: dict[str, int]) -> None:
    assert client.get("/api/v1/model").status_code == 401
    body = client.get("/api/v1/model", headers=_auth(db, world["agent"])).json()
    assert body["mode"] == "lexicon"
    assert body["name"] == "vader"
    assert body["version"].startswith("vader-")
    assert body["versions"]["sentiment"] == body["version"]
    assert "subjects" not in body["versions"]
