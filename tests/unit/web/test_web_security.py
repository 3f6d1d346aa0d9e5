"""CSRF tokens on every state change, security headers, escaping of user data, /docs."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import PASSWORD, Factory, csrf_from, login, page_csrf

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_login_form_requires_csrf(client: TestClient, factory: Factory) -> None:
    factory.user()
    client.get("/login")
    response = client.post(
        "/login", data={"email": "ana@example.com", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_form_post_with_wrong_or_missing_token_is_rejected(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    login(client)
    form = {"name": "Acme", "kind": "brand", "query": "acme"}
    assert client.post("/subjects", data=form).status_code == 403
    assert client.post("/subjects", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/subjects").text.count("Acme") == 0


def test_htmx_request_needs_the_header(client: TestClient, factory: Factory) -> None:
    factory.user()
    subject_id = factory.subject("Acme")
    login(client)
    token = page_csrf(client)
    missing = client.delete(f"/subjects/{subject_id}", headers={"HX-Request": "true"})
    assert missing.status_code == 403
    wrong = client.delete(f"/subjects/{subject_id}", headers={"X-CSRF-Token": token + "x"})
    assert wrong.status_code == 403
    ok = client.delete(f"/subjects/{subject_id}", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200


def test_token_is_rendered_for_htmx_on_body(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    html = client.get("/stream").text
    token = csrf_from(html)
    assert re.search(r"<body hx-headers='\{\"X-CSRF-Token\": \"" + re.escape(token), html)


def test_token_changes_at_login(client: TestClient, factory: Factory) -> None:
    factory.user()
    before = csrf_from(client.get("/login").text)
    login(client)
    assert page_csrf(client) != before


def test_api_writes_with_session_cookie_need_the_csrf_header(
    client: TestClient, factory: Factory
) -> None:
    factory.user()
    login(client)
    body = {"name": "Acme", "kind": "brand", "query": "acme"}
    assert client.post("/api/v1/subjects", json=body).status_code == 403
    token = page_csrf(client)
    response = client.post("/api/v1/subjects", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


def test_security_headers(client: TestClient, factory: Factory) -> None:
    for response in (client.get("/login"), client.get("/static/app.css")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_cdn(client: TestClient, factory: Factory) -> None:
    factory.user()
    login(client)
    for path in ("/login", "/stream", "/subjects", "/contacts"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " on" + "click=" not in html
        assert "http://" not in html and "https://" not in html, path


def test_post_text_is_escaped_everywhere(client: TestClient, factory: Factory) -> None:
    factory.user()
    channel = factory.channel("twitter")
    contact = factory.contact(name=XSS)
    identity = factory.identity("twitter", XSS, contact, linked_by=XSS)
    subject = factory.subject(XSS, query="alert")
    factory.post(channel, XSS, identity_id=identity, contact_id=contact, subjects=(subject,))
    login(client)
    pages = {
        "/stream": client.get("/stream").text,
        "/contacts": client.get("/contacts").text,
        f"/contacts/{contact}": client.get(f"/contacts/{contact}").text,
        "/subjects": client.get("/subjects").text,
        "/stream/poll": client.get("/stream/poll?after_id=0").text,
    }
    for path, html in pages.items():
        assert "<script>alert" not in html, path
        assert "onerror=alert(1)>" not in html, path
        assert XSS_ESCAPED in html, path


def test_javascript_urls_are_not_linked(client: TestClient, factory: Factory) -> None:
    factory.user()
    channel = factory.channel("twitter")
    contact = factory.contact()
    identity = factory.identity("twitter", "jane", contact, profile_url="javascript:alert(1)")
    factory.post(channel, "hello", identity_id=identity, contact_id=contact, url="javascript:x()")
    login(client)
    for path in ("/stream", f"/contacts/{contact}"):
        assert "javascript:" not in client.get(path).text


def test_docs_served_from_vendored_assets(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    csp = response.headers["content-security-policy"]
    assert "'sha256-" in csp and "'unsafe-eval'" not in csp
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/v1/interactions"]
