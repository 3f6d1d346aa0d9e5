"""Contact search and the contact page: identities, keys and the cross-channel timeline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login

from groundswell.crm.models import Identity


def _entries(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="entry-(\d+)"', html)]


def test_contact_page_shows_identities_keys_and_timeline(
    client: TestClient, factory: Factory
) -> None:
    factory.user(role="agent")
    twitter = factory.channel("twitter")
    email = factory.channel("email")
    contact = factory.contact("Jane Doe", email="jane@example.com")
    factory.key(contact, "email", "jane@example.com", source="post:tw-1")
    tw = factory.identity("twitter", "@jane", contact, linked_by="new", followers=1234)
    em = factory.identity("email", "jane@example.com", contact, linked_by="email:jane@example.com")
    brand = factory.identity("twitter", "@acme", None, is_brand=True, linked_by=None)
    thread = factory.conversation(twitter, "tw-1", contact)
    late_email = factory.post(email, "Still broken", identity_id=em, contact_id=contact, minutes=30)
    question = factory.post(
        twitter,
        "My order is late",
        identity_id=tw,
        contact_id=contact,
        conversation_id=thread,
        minutes=0,
        sentiment=("negative", -0.5),
        external_id="tw-1",
    )
    answer = factory.post(
        twitter,
        "Sorry! DM us",
        identity_id=brand,
        conversation_id=thread,
        direction="out",
        minutes=5,
        reply_to="tw-1",
    )
    login(client)
    response = client.get(f"/contacts/{contact}")
    assert response.status_code == 200
    html = response.text
    assert "Jane Doe" in html and "jane@example.com" in html
    assert "1,234" in html
    assert "<code>email:jane@example.com</code>" in html and "<code>new</code>" in html
    assert "from post:tw-1" in html
    assert _entries(html) == [late_email, answer, question]  # newest first
    assert "↗ outbound" in html and "↘ inbound" in html
    assert f"↳ thread #{thread}" in html
    assert "same-thread" in html


def test_two_identities_with_one_handle_are_told_apart_by_their_ids(
    client: TestClient, factory: Factory
) -> None:
    """One person seen by two sources (a user id, a screen name) under the same handle."""
    factory.user()
    contact = factory.contact("Emmelie Pickett")
    factory.identity("twitter", "EmmeliePickett", contact, external_id="115712")
    factory.identity("twitter", "EmmeliePickett", contact, external_id="<b>name:EP</b>")
    factory.identity("email", "emmelie@example.com", contact)
    login(client)
    html = client.get(f"/contacts/{contact}").text
    assert "id 115712" in html and "id &lt;b&gt;name:EP&lt;/b&gt;" in html
    assert "id email-" not in html  # a handle seen once needs no id
    consents = html.split('id="consent-head"')[1].split("</section>")[0]
    rows = re.findall(
        r"<tr><td class=\"handle-cell\">(twitter:[^<]*(?:<span[^>]*>[^<]*</span>)?)</td>", consents
    )
    assert len(rows) == 4 and len(set(rows)) == 2  # each purpose once per identity
    assert all("id 115712" in r or "id &lt;b&gt;name:EP&lt;/b&gt;" in r for r in rows)
    assert "twitter:EmmeliePickett (id 115712)</option>" in consents


def test_unknown_contact_is_404(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    response = client.get("/contacts/999")
    assert response.status_code == 404
    assert "There is no contact #999" in response.text


def test_contact_search(client: TestClient, factory: Factory) -> None:
    factory.user()
    ch = factory.channel()
    jane = factory.contact("Jane Doe", email="jane@example.com")
    bob = factory.contact("Bob Stone")
    factory.identity("twitter", "bobby_tables", bob)
    factory.post(ch, "hi", contact_id=jane)
    login(client)
    everyone = client.get("/contacts").text
    assert "Jane Doe" in everyone and "Bob Stone" in everyone
    by_handle = client.get("/contacts?q=@BOBBY").text
    assert "Bob Stone" in by_handle and "Jane Doe" not in by_handle
    assert "twitter:bobby_tables" in by_handle
    by_email = client.get("/contacts?q=example.com").text
    assert "Jane Doe" in by_email and "Bob Stone" not in by_email
    # LIKE wildcards are literal characters in a search.
    assert "No contact matches" in client.get("/contacts?q=%25").text


def test_contacts_list_pages_and_sorts(client: TestClient, factory: Factory) -> None:
    factory.user()
    ch = factory.channel()
    ids = [factory.contact(f"Person {i:03d}") for i in range(60)]
    for n, cid in enumerate(ids):
        factory.post(ch, "hello", contact_id=cid, minutes=n, sentiment=("neutral", n / 100))
    login(client)
    first = client.get("/contacts").text
    rows = [int(i) for i in re.findall(r'id="contact-(\d+)"', first)]
    assert len(rows) == 50 and rows[0] == ids[-1]  # most recent touch first
    assert "60 contacts" in first and 'rel="next"' in first
    second = client.get("/contacts?page=2").text
    assert [int(i) for i in re.findall(r'id="contact-(\d+)"', second)] == ids[:10][::-1]
    by_name = client.get("/contacts?sort=name&order=asc").text
    assert re.findall(r'id="contact-(\d+)"', by_name)[0] == str(ids[0])
    by_sentiment = client.get("/contacts?sort=sentiment&order=asc").text
    assert re.findall(r'id="contact-(\d+)"', by_sentiment)[0] == str(ids[0])
    # An unknown sort key falls back to the default instead of failing.
    assert client.get("/contacts?sort=password").status_code == 200


def test_timeline_newest_first_paged_and_filtered(client: TestClient, factory: Factory) -> None:
    factory.user()
    tw = factory.channel("twitter")
    em = factory.channel("email")
    jane = factory.contact("Jane Doe")
    posts = [
        factory.post(tw if n % 2 else em, f"post {n}", contact_id=jane, minutes=n)
        for n in range(120)
    ]
    login(client)
    page = client.get(f"/contacts/{jane}").text
    assert _entries(page) == posts[::-1][:50]
    older = re.search(r'rel="next" href="([^"]+)"', page)
    assert older
    page2 = client.get(older.group(1).replace("&amp;", "&")).text
    assert _entries(page2) == posts[::-1][50:100]
    only_email = client.get(f"/contacts/{jane}?channel=email").text
    assert _entries(only_email) == [p for n, p in enumerate(posts) if n % 2 == 0][::-1][:50]
    assert _entries(client.get(f"/contacts/{jane}?direction=out").text) == []
    # Dated from the first touchpoint, not the record's creation.
    assert "2024-05-01 12:00" in page
    assert client.get(f"/contacts/{jane}?before=garbage").status_code == 200


def test_contacts_list_shows_each_address_once(client: TestClient, factory: Factory) -> None:
    """A network user id and an older import keyed by the handle: one chip, not two."""
    factory.user()
    cid = factory.contact("Emmelie")
    with factory.db.session() as s:
        for external_id in ("EmmeliePickett", "900123"):
            s.add(
                Identity(
                    platform="twitter",
                    external_id=external_id,
                    handle="EmmeliePickett",
                    contact_id=cid,
                )
            )
    factory.identity("bluesky", "emmelie.bsky.social", cid)
    login(client)
    page = client.get("/contacts").text
    assert page.count("twitter:EmmeliePickett") == 1
    assert "bluesky:emmelie.bsky.social" in page
