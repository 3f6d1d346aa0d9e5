"""The one HTTP path to a CRM: the outbound guard before every request, errors typed.

Every URL passes ``core.outbound`` (only public addresses or hosts an admin allowed), so
a connection's base URL cannot be pointed at a private service. Error messages carry the
CRM's own message and code, never a header or a credential.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from groundswell.core.http_retry import retrying_transport
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError

MAX_INLINE_WAIT_S = 10.0
"""A ``Retry-After`` up to this long is waited out in the run; longer defers the run."""


class CrmError(Exception):
    """A request the CRM refused or that did not reach it; the message is safe to show."""


class CrmAuthError(CrmError):
    """The credentials were refused (after one fresh token, where the CRM has tokens)."""


class CrmRateLimited(CrmError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CrmRequestError(CrmError):
    def __init__(self, message: str, status: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def retry_after_seconds(value: str | None, default: float = 10.0) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


class GuardedHttp:
    """An httpx client that checks each URL against the outbound policy first."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.sleep = sleep
        self.requests = 0
        self._client = httpx.Client(
            timeout=timeout, transport=retrying_transport(transport), follow_redirects=False
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            self.policy.check_url(url)
        except OutboundRefusedError as exc:
            raise CrmError(f"refused by the outbound guard: {exc}") from None
        self.requests += 1
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise CrmError(f"{method} {httpx.URL(url).path}: {type(exc).__name__}") from None

    def close(self) -> None:
        self._client.close()
