"""The stream page: what each post shows, filters, and the live-poll partial."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="post-(\d+)"', html)]


def test_post_shows_everything_an_agent_needs(client: TestClient, factory: Factory) -> None:
    factory.user()
    twitter = factory.channel("twitter", "X / Twitter")
    contact = factory.contact("Jane Doe")
    jane = factory.identity("twitter", "@jane", contact)
    acme = factory.subject("Acme")
    factory.post(
        twitter,
        "Acme support is great",
        identity_id=jane,
        contact_id=contact,
        sentiment=("positive", 0.62),
        subjects=(acme,),
        language="en",
    )
    login(client)
    html = client.get("/stream").text
    assert "Acme support is great" in html
    assert f'href="/contacts/{contact}"' in html and "@jane" in html
    assert "twitter" in html
    assert "2024-05-01 12:00 UTC" in html
    assert 'class="badge sentiment positive"' in html and "+0.62" in html
    assert '<span class="badge lang" title="language">en</span>' in html
    assert '<span class="badge subject">Acme</span>' in html
    assert "↘ in" in html
    assert 'hx-get="/stream/poll?after_id=' in html


def test_stream_is_newest_first(client: TestClient, factory: Factory) -> None:
    factory.user()
    ch = factory.channel()
    ids = [factory.post(ch, f"post {i}") for i in range(3)]
    login(client)
    assert _ids(client.get("/stream").text) == list(reversed(ids))


def test_stream_filters(client: TestClient, factory: Factory) -> None:
    factory.user()
    twitter = factory.channel("twitter")
    mastodon = factory.channel("mastodon")
    acme = factory.subject("Acme")
    other = factory.subject("Globex")
    a = factory.post(twitter, "a", sentiment=("negative", -0.7), subjects=(acme,))
    b = factory.post(mastodon, "b", sentiment=("positive", 0.5), subjects=(acme, other))
    c = factory.post(mastodon, "c", sentiment=("negative", -0.2), subjects=(other,))
    d = factory.post(twitter, "d", sentiment=None)
    login(client)
    assert _ids(client.get(f"/stream?subject={acme}").text) == [b, a]
    assert _ids(client.get("/stream?channel=mastodon").text) == [c, b]
    assert _ids(client.get("/stream?sentiment=negative").text) == [c, a]
    assert _ids(client.get(f"/stream?subject={other}&sentiment=negative").text) == [c]
    assert _ids(client.get("/stream?channel=twitter&sentiment=").text) == [d, a]
    # Stale or junk filter values mean "any", not an error page.
    assert _ids(client.get("/stream?subject=abc&sentiment=angry").text) == [d, c, b, a]
    assert "No posts yet for these filters" in client.get("/stream?channel=nope").text


def test_poll_returns_only_newer_posts_and_moves_the_cursor(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    ch = factory.channel()
    first = factory.post(ch, "first")
    login(client)
    assert client.get(f"/stream/poll?after_id={first}").status_code == 204
    second = factory.post(ch, "second", sentiment=("negative", -0.4))
    third = factory.post(ch, "third")
    response = client.get(f"/stream/poll?after_id={first}")
    assert response.status_code == 200
    html = response.text
    assert _ids(html) == [third, second]
    assert 'hx-swap-oob="afterbegin:#stream-list"' in html
    assert f'hx-get="/stream/poll?after_id={third}"' in html
    assert 'id="poller"' in html and 'hx-swap-oob="true"' in html
    assert "fresh" in html


def test_poll_keeps_the_filters(client: TestClient, factory: Factory) -> None:
    factory.user()
    twitter = factory.channel("twitter")
    mastodon = factory.channel("mastodon")
    login(client)
    factory.post(twitter, "tw")
    m = factory.post(mastodon, "ma")
    html = client.get("/stream/poll?after_id=0&channel=mastodon").text
    assert _ids(html) == [m]
    assert f'hx-get="/stream/poll?channel=mastodon&amp;after_id={m}"' in html


def test_older_page_is_not_live(client: TestClient, factory: Factory) -> None:
    factory.user()
    ch = factory.channel()
    ids = [factory.post(ch, f"p{i}") for i in range(55)]
    login(client)
    html = client.get("/stream").text
    assert len(_ids(html)) == 50
    older = re.search(r'href="(/stream\?before=\d+)"', html)
    assert older
    html2 = client.get(older.group(1)).text
    assert _ids(html2) == list(reversed(ids[:5]))
    assert "/stream/poll" not in html2  # an older page does not poll for new posts


def test_our_replies_are_named_and_offer_no_correction(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    twitter = factory.channel("twitter", "X / Twitter")
    reply = factory.post(twitter, "Hi Jane, on it", direction="out", sentiment=None)
    customer = factory.post(twitter, "where is my bag", sentiment=("negative", -0.6))
    login(client)
    html = client.get("/stream").text

    def article(post_id: int) -> str:
        found = re.search(rf'<article[^>]*id="post-{post_id}".*?</article>', html, re.S)
        assert found is not None
        return found.group(0)

    ours, theirs = article(reply), article(customer)
    assert "our reply" in ours and "unknown" not in ours and "/correct" not in ours
    assert "/correct" in theirs
