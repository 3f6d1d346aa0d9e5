"""Export and erase one person: every table, raw payloads and dead letters; logged."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from gs_webtest import Factory

from groundswell.all_models import load_all_models
from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.matching.merge import merge_contacts
from groundswell.crm.matching.service import match_pending
from groundswell.crm.models import ContactKey, Interaction
from groundswell.crm.notes import add_note, add_tag
from groundswell.crm.privacy_models import PrivacyRequest
from groundswell.ingestion.service import record_rejections

TOKENS = ("zqxhandle", "zqx.person@example.org", "Zqx Person", "zqxmastodon")


def _person(factory: Factory, db: Database) -> dict[str, int]:
    tw, ma = factory.channel("twitter"), factory.channel("mastodon")
    main = factory.contact("Zqx Person", email="zqx.person@example.org")
    alias = factory.contact("Zqx Person")
    other = factory.contact("Uninvolved Someone")
    factory.key(main, "email", "zqx.person@example.org")
    i1 = factory.identity("twitter", "zqxhandle", main, profile_url="https://x.example/zqxhandle")
    i2 = factory.identity("mastodon", "zqxmastodon", alias)
    brand = factory.identity("twitter", "acme", None, is_brand=True)
    io = factory.identity("twitter", "someone", other)
    thread = factory.conversation(tw, "root-1", main)
    factory.post(
        tw,
        "zqxhandle here, my order",
        identity_id=i1,
        contact_id=main,
        conversation_id=thread,
        external_id="root-1",
    )
    factory.post(
        tw,
        "Sorry Zqx Person, DM us",
        identity_id=brand,
        conversation_id=thread,
        direction="out",
        minutes=1,
    )
    kept = factory.post(
        tw, "same here", identity_id=io, contact_id=other, conversation_id=thread, minutes=2
    )
    factory.post(ma, "zqxmastodon again", identity_id=i2, contact_id=alias, minutes=3)
    with db.session() as s:
        s.execute(
            sa.update(Interaction)
            .where(Interaction.identity_id == i1)
            .values(raw={"user": {"screen_name": "zqxhandle", "email": "zqx.person@example.org"}})
        )
        s.add(
            Transaction(
                contact_id=main,
                customer_key="zqx.person@example.org",
                occurred_on=sa.func.current_date(),
                amount=10.0,
                source="t",
                external_id="o-1",
            )
        )
        add_tag(s, contact_id=main, tag="vip", actor="t")
        add_note(s, contact_id=main, text="Zqx Person called", actor="t")
        record_rejections(
            s,
            source="api",
            rejections=[
                ("item 1", "amount", "bad", '{"customer_key": "zqx.person@example.org"}'),
                ("item 2", "amount", "bad", '{"customer_key": "somebody-else"}'),
            ],
        )
        match_pending(s, auto_threshold=0.999999, review_threshold=0.1)
    with db.session() as s:
        merge_contacts(s, kept_id=main, merged_id=alias, actor="t", reason="t")
    return {"main": main, "other": other, "kept_post": kept}


def _hits(db: Database) -> list[tuple[str, str, str]]:
    """Every (table, column, token) where an erased identifier still appears."""
    found = []
    with db.engine.connect() as conn:
        for table in load_all_models().metadata.sorted_tables:
            for column in table.columns:
                text = sa.cast(column, sa.Text)
                for token in TOKENS:
                    query = (
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(sa.func.lower(text).contains(token.lower()))
                    )
                    if conn.execute(query).scalar():
                        found.append((table.name, column.name, token))
    return found


def test_export_then_erase_leaves_no_trace(
    client: TestClient, factory: Factory, db: Database
) -> None:
    token = factory.token(factory.user(role="admin"))
    headers = {"Authorization": f"Bearer {token}"}
    ids = _person(factory, db)
    assert _hits(db), "the identifiers must be there before the erase"
    export = client.get(f"/api/v1/contacts/{ids['main']}/export", headers=headers)
    assert export.status_code == 200
    tables: dict[str, list[dict[str, Any]]] = export.json()["tables"]
    assert len(tables["contacts"]) == 2 and len(tables["identities"]) == 2
    assert len(tables["interactions"]) == 3  # two posts of theirs and our reply
    assert tables["contact_keys"] and tables["transactions"] and tables["contact_notes"]
    assert len(tables["rejected_records"]) == 1
    erased = client.post(f"/api/v1/contacts/{ids['main']}/erase", headers=headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["contacts"] == 2
    assert _hits(db) == []
    with db.session() as s:
        # The other person's post in the thread stays, detached.
        post = s.get(Interaction, ids["kept_post"])
        assert post is not None and post.conversation_id is None
        assert s.scalar(sa.select(sa.func.count()).select_from(ContactKey)) == 0
        log = s.scalars(sa.select(PrivacyRequest.kind)).all()
        assert sorted(log) == ["erase", "export"]


def test_agents_may_not_export_or_erase(client: TestClient, factory: Factory, db: Database) -> None:
    token = factory.token(factory.user(role="agent"))
    contact = factory.contact("A")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/contacts/{contact}/export", headers=headers).status_code == 403
    assert client.post(f"/api/v1/contacts/{contact}/erase", headers=headers).status_code == 403
    assert (
        client.post(
            "/api/v1/contacts/999/erase",
            headers={"Authorization": f"Bearer {factory.token(factory.user('b@example.com'))}"},
        ).status_code
        == 404
    )


def test_contact_page_export_and_erase(client: TestClient, factory: Factory, db: Database) -> None:
    from gs_webtest import login, page_csrf

    factory.user(role="analyst")
    ids = _person(factory, db)
    login(client)
    page = client.get(f"/contacts/{ids['main']}").text
    assert "export.json" in page and "Erase" in page
    download = client.get(f"/contacts/{ids['main']}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.json()["counts"]["contacts"] == 2
    csrf = page_csrf(client, f"/contacts/{ids['main']}")
    unconfirmed = client.post(f"/contacts/{ids['main']}/erase", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422
    done = client.post(
        f"/contacts/{ids['main']}/erase",
        data={"csrf_token": csrf, "confirm": "erase"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _hits(db) == []
    assert client.get(f"/contacts/{ids['main']}").status_code == 404


def test_cli_export_and_erase(
    tmp_path: Any, factory: Factory, db: Database, settings: Any, monkeypatch: Any
) -> None:
    import json

    from typer.testing import CliRunner

    from groundswell.cli import app
    from groundswell.settings import get_settings

    ids = _person(factory, db)
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "p.json"
        res = CliRunner().invoke(app, ["privacy", "export", str(ids["main"]), "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads(out.read_text())["counts"]["identities"] == 2
        refused = CliRunner().invoke(app, ["privacy", "erase", str(ids["main"])])
        assert refused.exit_code == 2
        res = CliRunner().invoke(app, ["privacy", "erase", str(ids["main"]), "--yes"])
        assert res.exit_code == 0, res.output
    finally:
        get_settings.cache_clear()
    assert _hits(db) == []


def test_retention_purges_by_class_and_keeps_the_rest(factory: Factory, db: Database) -> None:
    from datetime import timedelta

    from groundswell.core.clock import utcnow
    from groundswell.crm.retention import purge
    from groundswell.ingestion.models import RejectedRecord

    email, tw = factory.channel("email"), factory.channel("twitter")
    c = factory.contact("A")
    old_mail = factory.post(email, "old private", contact_id=c)
    old_tweet = factory.post(tw, "old public", contact_id=c)
    old_dm = factory.post(tw, "old direct message", contact_id=c)
    with db.session() as s:  # a DM on the public channel is private by its own flag
        s.get(Interaction, old_dm).private = True  # type: ignore[union-attr]
    with db.session() as s:
        new_mail = Interaction(
            channel_id=email,
            external_id="fresh",
            direction="in",
            contact_id=c,
            text="fresh private",
            created_at=utcnow(),
            subject_ids=[],
            entities={},
            enrichment_versions={},
        )
        s.add(new_mail)
        s.add(
            RejectedRecord(
                source="t", record_ref="r", reason="x", created_at=utcnow() - timedelta(days=400)
            )
        )
        s.flush()
        fresh_id = new_mail.id
    with db.session() as s:
        done = purge(s, private_days=30, public_days=None, dead_letter_days=90)
    assert done == {"private": 2, "public": 0, "dead_letters": 1}
    with db.session() as s:
        assert s.get(Interaction, old_mail) is None
        assert s.get(Interaction, old_dm) is None
        assert s.get(Interaction, old_tweet) is not None
        assert s.get(Interaction, fresh_id) is not None
    with db.session() as s:
        done = purge(s, private_days=None, public_days=30, dead_letter_days=None)
    assert done == {"private": 0, "public": 1, "dead_letters": 0}
    with db.session() as s:
        assert s.get(Interaction, old_tweet) is None
        assert s.get(Interaction, fresh_id) is not None
