"""Idempotent requests survive a connection the server dropped between two polls.

A connector polls an API every few seconds over one pooled keep-alive connection. Servers
close idle connections on their own clock (uvicorn after 5 s, many APIs after a minute);
when the close crosses a poll, the request leaves on a socket the server has just shut and
fails with "connection reset" or "server disconnected without sending a response", though
nothing is wrong with the network or the API. The failure was then reported as a connector
error, and showed on the channel's health and in the executive digest.

Browsers and urllib3 send an idempotent request again once in that case; httpx does not
(its ``retries`` covers failed connects only). ``httpx-retries`` does, and is configured
here for connection failures alone:

- only GET, HEAD and OPTIONS: a POST (a reply, a DM, a CRM write) is never sent twice by
  the transport; the delivery outbox decides about those;
- only errors of the connection (refused, reset, closed, protocol), never a timeout: a
  server that is slow stays the client's to report, and is not asked twice as long;
- never on a status: 429 with its reset time and 5xx stay with each client, which knows
  its API's rules (the X client waits for the window's reset, the CRM client for
  ``Retry-After``), and which must not be held in a sleep here.
"""

from __future__ import annotations

import httpx
from httpx_retries import Retry, RetryTransport

RETRIED_METHODS = ("GET", "HEAD", "OPTIONS")
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class ConnectionRetry(Retry):
    """A retry policy that never retries on a status (``Retry`` treats an empty status list
    as "the defaults": 429, 502, 503, 504)."""

    def is_retryable_status_code(self, status_code: int) -> bool:
        return False


def connection_retry(attempts: int = 1) -> ConnectionRetry:
    """``attempts`` more sends after a connection failure, at once (no back-off: a dropped
    keep-alive socket is replaced by a fresh connection, not by waiting)."""
    return ConnectionRetry(
        total=attempts,
        allowed_methods=RETRIED_METHODS,
        retry_on_exceptions=CONNECTION_ERRORS,
        backoff_factor=0.0,
        respect_retry_after_header=False,
    )


def retrying_transport(inner: httpx.BaseTransport | None = None) -> httpx.BaseTransport:
    """``inner`` (default: a plain ``httpx.HTTPTransport``) behind the connection retry."""
    return RetryTransport(transport=inner or httpx.HTTPTransport(), retry=connection_retry())
