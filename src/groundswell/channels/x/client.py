"""A thin X API v2 HTTP client on httpx: auth, rate-limit headers, errors by status.

X announces each endpoint's window in ``x-rate-limit-limit``, ``-remaining`` and
``-reset`` (epoch seconds). The client records them per endpoint, waits before calling an
exhausted endpoint (up to ``max_wait``; longer waits are raised as retryable so the runner
can serve other sources), and turns 429 into a retryable error carrying the reset time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from groundswell.channels.common.guard import OutboundGuard
from groundswell.channels.errors import NeedsReauth, SourceError
from groundswell.channels.runtime.limits import RateLimits, parse_rate_limit
from groundswell.core.http_retry import retrying_transport


class XApiError(SourceError):
    """A refused or failed call; ``status`` is the HTTP status (0: no answer)."""

    def __init__(
        self, reason: str, *, status: int, retryable: bool, retry_after: float | None = None
    ):
        super().__init__(reason, retryable=retryable, retry_after=retry_after)
        self.status = status


class XUnauthorized(NeedsReauth):
    pass


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]


class XClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 20.0,
        max_wait: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limits = RateLimits()
        self.max_wait = max_wait
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "Groundswell"},
            timeout=timeout,
            transport=retrying_transport(transport),
        )

    def close(self) -> None:
        self._http.close()

    def install_guard(self, guard: OutboundGuard) -> None:
        """Check every request this client sends with ``guard`` (``common/guard.py``)."""
        guard.install(self._http)

    def _before(self, endpoint: str) -> None:
        wait = self.limits.wait(endpoint)
        if wait > self.max_wait:
            raise XApiError(
                f"{endpoint}: rate limit exhausted", status=429, retryable=True, retry_after=wait
            )
        if wait > 0:
            time.sleep(wait)

    def _check(self, endpoint: str, response: httpx.Response) -> None:
        self.limits.update(endpoint, parse_rate_limit(response.headers))
        status = response.status_code
        if status < 400:
            return
        if status == 401:
            raise XUnauthorized(f"{endpoint}: 401 {_detail(response)}")
        if status == 429:
            limit = parse_rate_limit(response.headers)
            retry_after = max(1.0, limit.reset - time.time()) if limit else 60.0
            raise XApiError(
                f"{endpoint}: 429 Too Many Requests",
                status=429,
                retryable=True,
                retry_after=retry_after,
            )
        raise XApiError(
            f"{endpoint}: {status} {_detail(response)}",
            status=status,
            retryable=status >= 500,
        )

    def call(
        self,
        method: str,
        endpoint: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One request; ``endpoint`` names its rate-limit window (``GET /2/users/:id/mentions``)."""
        self._before(endpoint)
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.HTTPError as exc:
            raise XApiError(f"{endpoint}: {exc!r}", status=0, retryable=True) from exc
        self._check(endpoint, response)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise XApiError(
                f"{endpoint}: answer is not JSON", status=response.status_code, retryable=True
            ) from exc
        if not isinstance(body, dict):
            raise XApiError(
                f"{endpoint}: answer is not an object", status=response.status_code, retryable=True
            )
        return body

    @contextmanager
    def stream(self, endpoint: str, path: str, params: dict[str, Any]) -> Iterator[Iterator[str]]:
        """Lines of a streaming answer (keep-alive blank lines included)."""
        self._before(endpoint)
        try:
            with self._http.stream(
                "GET", path, params=params, timeout=httpx.Timeout(20.0, read=90.0)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(endpoint, response)
                yield response.iter_lines()
        except httpx.HTTPError as exc:
            raise XApiError(f"{endpoint}: {exc!r}", status=0, retryable=True) from exc
