"""A profiling link answers once: a second answer (or a second, simultaneous one) gets a
clear page, a refused answer does not use the link up, and a new link still works."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from gs_webtest import Factory
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from groundswell.core.db import Database
from groundswell.crm import profiling
from groundswell.crm.models import ContactKey
from groundswell.crm.profiling_models import ProfilingLinkUse

MAX_AGE = 14 * 86400


def _token(client: TestClient, identity: int, contact: int, *, back_s: int = 0) -> str:
    secret = client.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    serializer = URLSafeTimedSerializer(secret, salt=profiling.SALT)
    if not back_s:
        return serializer.dumps({"i": identity, "c": contact})
    import itsdangerous.timed as timed

    real = timed.TimestampSigner.get_timestamp
    timed.TimestampSigner.get_timestamp = lambda self: real(self) - back_s  # type: ignore[method-assign]
    try:
        return serializer.dumps({"i": identity, "c": contact})
    finally:
        timed.TimestampSigner.get_timestamp = real  # type: ignore[method-assign]


def _keys(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ContactKey)) or 0)


def test_second_answer_is_refused(client: TestClient, db: Database, factory: Factory) -> None:
    contact = factory.contact("Tweeter")
    identity = factory.identity("twitter", "@tweeter", contact)
    path = "/p/" + _token(client, identity, contact)

    bad = client.post(path, data={"email": "not-an-email"})
    assert bad.status_code == 422  # a refused answer leaves the link usable
    done = client.post(path, data={"email": "tweeter@example.com", "service": "yes"})
    assert done.status_code == 200 and "Thank you" in done.text

    again = client.post(path, data={"email": "someone.else@example.com"})
    assert again.status_code == 410
    assert "already been used" in again.text
    opened = client.get(path)
    assert opened.status_code == 410 and "already been used" in opened.text
    assert _keys(db) == 1

    other = "/p/" + _token(client, identity, contact, back_s=60)  # a new link, same identity
    assert client.post(other, data={"order": "A-1001"}).status_code == 200
    assert _keys(db) == 2


def test_expired_use_rows_are_pruned(client: TestClient, db: Database, factory: Factory) -> None:
    contact = factory.contact()
    identity = factory.identity("twitter", "@x", contact)
    days = client.app.state.settings.profiling_link_days  # type: ignore[attr-defined]
    old = _token(client, identity, contact, back_s=days * 86400 - 3600)
    assert client.post(f"/p/{old}", data={"email": "x@example.com"}).status_code == 200
    with db.session() as s:
        row = s.scalars(select(ProfilingLinkUse)).one()
        row.expires_at = row.expires_at.replace(year=row.expires_at.year - 1)
    fresh = _token(client, identity, contact)
    assert client.post(f"/p/{fresh}", data={"order": "B-2"}).status_code == 200
    with db.session() as s:
        kept = s.scalars(select(ProfilingLinkUse)).one()  # the expired one is gone
        assert kept.expires_at.year >= row.expires_at.year + 1


def test_simultaneous_answers_one_wins(client: TestClient, db: Database, factory: Factory) -> None:
    contact = factory.contact()
    identity = factory.identity("twitter", "@both", contact)
    token = _token(client, identity, contact)
    secret = client.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    ready = threading.Event()
    outcome: dict[str, Any] = {}

    def answer(email: str) -> None:
        try:
            with db.session(write=True) as s:
                target = profiling.target_of(s, token=token, secret=secret, max_age_s=MAX_AGE)
                ready.set()
                profiling.submit(
                    s, target=target, email=email, order="", service=True, marketing=False
                )
            outcome["second"] = "linked"
        except profiling.ProfilingRefused as exc:
            outcome["second"] = exc
        finally:
            ready.set()

    with db.session(write=True) as s:
        target = profiling.target_of(s, token=token, secret=secret, max_age_s=MAX_AGE)
        profiling.submit(
            s, target=target, email="first@example.com", order="", service=True, marketing=False
        )
        racer = threading.Thread(target=answer, args=("second@example.com",))
        racer.start()
        if db.dialect == "postgresql":
            ready.wait(10)  # the other answer has read the link as unused, then commits here
    racer.join(30)
    assert not racer.is_alive()
    refused = outcome["second"]
    assert isinstance(refused, profiling.ProfilingRefused), refused
    assert refused.status == 410 and "already been used" in refused.reason
    with db.session() as s:
        values = s.scalars(select(ContactKey.value)).all()
    assert values == ["first@example.com"]
