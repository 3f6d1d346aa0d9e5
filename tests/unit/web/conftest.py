"""Fixtures for the web pages: an app on the parametrised database and row builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory

from groundswell.app import create_app
from groundswell.core.db import Database
from groundswell.settings import Settings


@pytest.fixture
def factory(db: Database) -> Factory:
    return Factory(db)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedded_worker=False)
    with TestClient(app, base_url="http://testserver") as c:
        yield c
