"""Worker thread used inside the web app with the in-process broker (placeholder)."""

from __future__ import annotations

from groundswell.core.brokers import Broker
from groundswell.core.db import Database
from groundswell.settings import Settings


class EmbeddedWorker:
    def __init__(self, settings: Settings, db: Database, broker: Broker) -> None:
        self.settings, self.db, self.broker = settings, db, broker

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
