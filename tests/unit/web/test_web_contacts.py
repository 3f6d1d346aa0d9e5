"""Contact search and the contact page: identities, keys and the cross-channel timeline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login


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
    assert _entries(html) == [question, answer, late_email]
    assert "↗ outbound" in html and "↘ inbound" in html
    assert f"↳ thread #{thread}" in html
    assert "same-thread" in html


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
