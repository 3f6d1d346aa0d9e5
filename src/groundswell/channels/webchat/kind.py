"""The web chat as a connectable kind: no secrets, no sources (visitors post to us)."""

from __future__ import annotations

from groundswell.channels.runtime.kinds import Built, Kind
from groundswell.channels.webchat.connector import WebchatConnector, WebchatSettings


def _build(key: str, settings: WebchatSettings) -> Built:
    return Built(WebchatConnector(key, settings))


WEBCHAT = Kind(
    "webchat",
    "Web chat widget",
    WebchatSettings,
    (),
    _build,
    "webchat",
    example={"allowed_origins": ["https://www.example.com"], "greeting": "Hi! How can we help?"},
)
