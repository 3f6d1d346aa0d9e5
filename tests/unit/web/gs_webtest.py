"""Helpers for the web tests: row builders, login, CSRF scraping.

Rows are inserted directly through the models so these tests depend on nothing but the
schema, not on the ingestion pipeline.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import (
    Contact,
    ContactKey,
    Conversation,
    Identity,
    Interaction,
    InteractionSubject,
)
from groundswell.listening.models import Subject

PASSWORD = "correct horse battery"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_IDS = itertools.count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@dataclass
class Factory:
    """Small builders for the rows the pages read; each commits so the app sees it."""

    db: Database

    def user(self, email: str = "ana@example.com", role: str = "admin") -> int:
        with self.db.session() as s:
            data = UserCreate(email=email, password=PASSWORD, role=role)  # type: ignore[arg-type]
            return create_user(s, data=data).id

    def token(self, user_id: int) -> str:
        with self.db.session() as s:
            return create_api_token(s, user_id=user_id, name="test")

    def channel(self, key: str = "twitter", name: str | None = None) -> int:
        with self.db.session() as s:
            row = Channel(key=key, name=name or key.title())
            s.add(row)
            s.flush()
            return row.id

    def subject(self, name: str, query: str | None = None, kind: str = "brand") -> int:
        with self.db.session() as s:
            row = Subject(name=name, kind=kind, query=query or name.lower())
            s.add(row)
            s.flush()
            return row.id

    def contact(self, name: str = "Jane Doe", email: str | None = None) -> int:
        with self.db.session() as s:
            row = Contact(display_name=name, email=email)
            s.add(row)
            s.flush()
            return row.id

    def key(self, contact_id: int, kind: str, value: str, source: str = "profile") -> None:
        with self.db.session() as s:
            s.add(ContactKey(contact_id=contact_id, kind=kind, value=value, source=source))

    def identity(
        self,
        platform: str,
        handle: str,
        contact_id: int | None = None,
        *,
        linked_by: str | None = "new",
        followers: int | None = 10,
        is_brand: bool = False,
        profile_url: str | None = None,
        external_id: str | None = None,
    ) -> int:
        with self.db.session() as s:
            row = Identity(
                platform=platform,
                external_id=external_id or f"{platform}-{handle}",
                handle=handle,
                followers=followers,
                contact_id=contact_id,
                linked_by=linked_by,
                is_brand=is_brand,
                profile_url=profile_url,
            )
            s.add(row)
            s.flush()
            return row.id

    def conversation(self, channel_id: int, root: str, contact_id: int | None = None) -> int:
        with self.db.session() as s:
            row = Conversation(
                channel_id=channel_id,
                root_external_id=root,
                contact_id=contact_id,
                started_at=T0,
                last_activity_at=T0,
            )
            s.add(row)
            s.flush()
            return row.id

    def post(
        self,
        channel_id: int,
        text: str,
        *,
        identity_id: int | None = None,
        contact_id: int | None = None,
        conversation_id: int | None = None,
        minutes: int = 0,
        direction: str = "in",
        sentiment: tuple[str, float] | None = ("neutral", 0.0),
        subjects: tuple[int, ...] = (),
        language: str | None = "en",
        external_id: str | None = None,
        url: str | None = None,
        reply_to: str | None = None,
    ) -> int:
        with self.db.session() as s:
            row = Interaction(
                channel_id=channel_id,
                external_id=external_id or f"post-{next(_IDS)}",
                direction=direction,
                identity_id=identity_id,
                contact_id=contact_id,
                conversation_id=conversation_id,
                text=text,
                created_at=T0 + timedelta(minutes=minutes),
                url=url,
                reply_to_external_id=reply_to,
                language=language,
                sentiment_label=sentiment[0] if sentiment else None,
                sentiment_score=sentiment[1] if sentiment else None,
                subject_ids=list(subjects),
            )
            s.add(row)
            s.flush()
            for subject_id in subjects:
                s.add(InteractionSubject(interaction_id=row.id, subject_id=subject_id))
            return row.id


def login(client: TestClient, email: str = "ana@example.com", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/stream") -> str:
    """The logged-in session's CSRF token, as a page renders it."""
    return csrf_from(client.get(path).text)
