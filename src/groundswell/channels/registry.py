"""Which connector answers for which channel key.

The process that sends replies (the embedded worker, ``groundswell worker``) registers the
connectors configured for it; engagement asks the registry for a channel's capabilities
before queueing a reply, and the sender asks it for the connector that posts it.
"""

from __future__ import annotations

from threading import Lock

from groundswell.channels.base import Capabilities, Connector


class UnknownChannel(LookupError):
    """No connector is registered for this channel key."""


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}
        self._lock = Lock()

    def register(self, connector: Connector) -> None:
        with self._lock:
            self._connectors[connector.key] = connector

    def unregister(self, key: str) -> None:
        with self._lock:
            self._connectors.pop(key, None)

    def get(self, key: str) -> Connector:
        try:
            return self._connectors[key]
        except KeyError:
            raise UnknownChannel(f"no connector for channel {key!r}") from None

    def capabilities(self, key: str) -> Capabilities:
        return self.get(key).capabilities()

    def keys(self) -> list[str]:
        return sorted(self._connectors)


registry = ConnectorRegistry()
"""The process-wide registry; tests build their own ``ConnectorRegistry``."""
