"""One logging set-up for the long-running commands, with HTTP clients' request lines off.

httpx logs every request at INFO as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"``, the
whole URL included, and some URLs are credentials: a Slack incoming webhook's path is its
secret, a Graph API call carries ``access_token`` in its query. The worker, the listening
loop (alert webhooks) and the engagement loop (replies, connectors) log at INFO, so those
lines would have written secrets to their logs. The HTTP libraries' loggers are held at
WARNING; a failed request is reported by our own code, which names the endpoint, never
the URL with its query or a header.
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("httpx", "httpcore", "httpx_retries", "twilio.http_client", "urllib3")
"""Libraries that log requests (URL, sometimes headers) below WARNING."""


def configure_logging(fmt: str = "%(asctime)s %(name)s %(message)s") -> None:
    """INFO for our own loggers, WARNING for the HTTP clients' request lines."""
    logging.basicConfig(level=logging.INFO, format=fmt)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
