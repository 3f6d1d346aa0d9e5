"""Tags and notes on the contact page; the contacts list filtered by tag; merges move them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

from groundswell.core.db import Database
from groundswell.crm.matching.merge import merge_contacts, unmerge
from groundswell.crm.notes import notes_of, tags_of


def test_tags_and_notes_on_contact_page(client: TestClient, factory: Factory, db: Database) -> None:
    factory.user(role="agent")
    jane = factory.contact("Jane Doe")
    bob = factory.contact("Bob Stone")
    login(client)
    csrf = page_csrf(client, f"/contacts/{jane}")
    assert (
        client.post(
            f"/contacts/{jane}/tags",
            data={"csrf_token": csrf, "tag": " VIP "},
            follow_redirects=False,
        ).status_code
        == 303
    )
    client.post(f"/contacts/{jane}/tags", data={"csrf_token": csrf, "tag": "vip"})
    bad = client.post(f"/contacts/{jane}/tags", data={"csrf_token": csrf, "tag": "<b>"})
    assert bad.status_code == 422 and "a tag is" in bad.text
    client.post(
        f"/contacts/{jane}/notes",
        data={"csrf_token": csrf, "text": "Called about <script>x</script> refund"},
    )
    assert client.post(
        f"/contacts/{jane}/notes", data={"csrf_token": "nope", "text": "x"}
    ).status_code in (400, 403)
    page = client.get(f"/contacts/{jane}").text
    assert re.search(r'class="badge" href="/contacts\?tag=vip">vip<', page)
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert "user:ana@example.com" in page
    listing = client.get("/contacts?tag=vip").text
    assert f'id="contact-{jane}"' in listing and f'id="contact-{bob}"' not in listing
    client.post(f"/contacts/{jane}/tags/remove", data={"csrf_token": csrf, "tag": "vip"})
    assert "No tags." in client.get(f"/contacts/{jane}").text


def test_merge_moves_tags_and_notes_and_unmerge_returns_them(
    client: TestClient, factory: Factory, db: Database
) -> None:
    from groundswell.crm.notes import add_note, add_tag

    a, b = factory.contact("A"), factory.contact("B")
    with db.session() as s:
        add_tag(s, contact_id=a, tag="vip", actor="t")
        add_tag(s, contact_id=b, tag="vip", actor="t")
        add_tag(s, contact_id=b, tag="press", actor="t")
        add_note(s, contact_id=b, text="B's note", actor="t")
    with db.session() as s:
        event = merge_contacts(s, kept_id=a, merged_id=b, actor="t", reason="t")
    with db.session() as s:
        assert tags_of(s, contact_id=a) == ["press", "vip"]
        assert [n.text for n in notes_of(s, contact_id=a)] == ["B's note"]
        unmerge(s, event_id=event.id, actor="t")
    with db.session() as s:
        assert tags_of(s, contact_id=a) == ["vip"]
        assert tags_of(s, contact_id=b) == ["press", "vip"]
        assert [n.text for n in notes_of(s, contact_id=b)] == ["B's note"]


def test_consent_recorded_and_private_messages_hidden_from_analysts(
    client: TestClient, factory: Factory, db: Database
) -> None:
    from gs_webtest import PASSWORD

    factory.user(role="agent")
    factory.user(email="an@example.com", role="analyst")
    email = factory.channel("email")
    jane = factory.contact("Jane Doe")
    ident = factory.identity("email", "jane@example.com", jane)
    factory.post(email, "my card number is secret", identity_id=ident, contact_id=jane)
    login(client)
    page = client.get(f"/contacts/{jane}").text
    assert "my card number is secret" in page and "not asked" in page
    csrf = page_csrf(client, f"/contacts/{jane}")
    done = client.post(
        f"/contacts/{jane}/consents",
        data={
            "csrf_token": csrf,
            "identity_id": ident,
            "purpose": "marketing",
            "granted": "yes",
            "source": "said so on the phone",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(f"/contacts/{jane}").text
    assert "said so on the phone (recorded by ana@example.com)" in page
    assert 'class="consent-yes">given' in page
    bad = client.post(
        f"/contacts/{jane}/consents",
        data={
            "csrf_token": csrf,
            "identity_id": ident,
            "purpose": "spam",
            "granted": "yes",
            "source": "x",
        },
    )
    assert bad.status_code == 422
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    login(client, "an@example.com", PASSWORD)
    hidden = client.get(f"/contacts/{jane}").text
    assert "my card number is secret" not in hidden and "not shown to your role" in hidden
