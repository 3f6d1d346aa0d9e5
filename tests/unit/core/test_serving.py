"""``serve`` makes ``public_url`` follow the address it listens on unless it was configured."""

from __future__ import annotations

import pytest

from groundswell.core.serving import serving_url, with_serving_url
from groundswell.settings import Settings


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8001, "http://127.0.0.1:8001"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("crm.local", 80, "http://crm.local:80"),
        ("::1", 8000, "http://[::1]:8000"),
    ],
)
def test_serving_url(host: str, port: int, expected: str) -> None:
    assert serving_url(host, port) == expected


def test_a_configured_public_url_wins() -> None:
    default = Settings(_env_file=None)
    assert with_serving_url(default, "127.0.0.1", 8001).public_url == "http://127.0.0.1:8001"
    given = Settings(public_url="https://crm.example.com", _env_file=None)
    assert with_serving_url(given, "127.0.0.1", 8001).public_url == "https://crm.example.com"
