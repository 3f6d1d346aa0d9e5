"""X (Twitter API v2): mentions, the filtered stream and replies, on channel key ``twitter``."""

from groundswell.channels.x.connector import XConfig, XConnector

__all__ = ["XConfig", "XConnector"]
