"""The outbound guard inside every connector's HTTP client, before each request.

A channel's URLs are checked when an admin saves them and when the connection is tested
(``runtime/outbound.py``). DNS can change after that: a name that resolved to a public
address on Monday can resolve to the cloud metadata address on Tuesday, and the connector
would then read from, or post replies to, a private service. So each connector's HTTP
client checks every request it is about to send, redirects included, with the same
guard (``core.outbound``), whichever library sends it:

- ``httpx`` clients (X, SMS, Meta, YouTube, Mastodon's stream, Bluesky through
  ``atproto``): a request event hook;
- ``requests`` sessions (Mastodon.py, PRAW through prawcore): a transport adapter whose
  ``send`` checks first.

The allow-list comes from the settings when the account is built for a process
(``runtime.bootstrap.build_account`` calls ``bind_settings``). A connector built directly
(tests, benchmarks) and never bound does not check: there is no allow-list to check with.
E-mail (IMAP, SMTP) is not guarded on purpose: a company's mail server is often on its
own network (docs/adding-a-connector.md).
"""

from __future__ import annotations

from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

from groundswell.core.outbound import OutboundPolicy


class OutboundGuard:
    """The allow-list one connector checks its requests against (none until bound)."""

    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self.policy = policy

    def bind(self, settings: Any) -> None:
        self.policy = OutboundPolicy.from_setting(settings.outbound_allow_hosts)

    def check(self, url: str) -> None:
        """Raise ``OutboundRefusedError`` for a URL the guard refuses (after resolving)."""
        if self.policy is not None:
            self.policy.check_url(url, must_resolve=True)

    def request_hook(self, request: httpx.Request) -> None:
        """An ``httpx`` request event hook (for clients a library builds from kwargs)."""
        self.check(str(request.url))

    def install(self, client: httpx.Client) -> httpx.Client:
        """Check every request ``client`` sends (redirects are new requests: checked too)."""
        hooks = client.event_hooks
        client.event_hooks = {**hooks, "request": [*hooks.get("request", []), self.request_hook]}
        return client

    def session(self, session: requests.Session | None = None) -> requests.Session:
        """A ``requests`` session (``session`` or a new one) that checks before sending."""
        session = session if session is not None else requests.Session()
        adapter = _GuardedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: OutboundGuard) -> None:
        super().__init__()
        self.guard = guard

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.guard.check(str(request.url))
        return super().send(request, *args, **kwargs)
