"""Accounts: create, link contacts from the contact page, the account page's context."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf

from groundswell.core.db import Database


def test_account_page_lists_contacts_with_context(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user()
    ch = factory.channel()
    jane = factory.contact("Jane Doe")
    factory.post(ch, "love it", contact_id=jane, sentiment=("positive", 0.6))
    login(client)
    csrf = page_csrf(client, "/accounts")
    made = client.post(
        "/accounts",
        data={"csrf_token": csrf, "name": "Acme <Corp>", "domain": "acme.example"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    account_id = int(made.headers["location"].rsplit("/", 1)[1])
    dup = client.post(
        "/accounts", data={"csrf_token": csrf, "name": "Other", "domain": "acme.example"}
    )
    assert dup.status_code == 422
    assert client.post("/accounts", data={"csrf_token": csrf, "name": " "}).status_code == 422
    assert (
        client.post(
            f"/contacts/{jane}/account",
            data={"csrf_token": csrf, "account_id": str(account_id)},
            follow_redirects=False,
        ).status_code
        == 303
    )
    page = client.get(f"/accounts/{account_id}").text
    assert "Acme &lt;Corp&gt;" in page and f'id="contact-{jane}"' in page and "+0.60" in page
    listing = client.get("/accounts").text
    assert re.search(rf'id="account-{account_id}"', listing)
    assert f'href="/accounts/{account_id}"' in client.get(f"/contacts/{jane}").text
    assert client.get("/accounts/999").status_code == 404
    assert (
        client.post(
            f"/contacts/{jane}/account", data={"csrf_token": csrf, "account_id": "999"}
        ).status_code
        == 404
    )
