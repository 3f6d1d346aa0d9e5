"""The one guard every outbound request passes: no posting into our own network.

Alert webhooks, Slack targets, CRM sync and connectors' streams (Bluesky's Jetstream)
all take a URL from a user. Without a check, anyone allowed to save such a target could
make the server post to loopback, the cloud metadata address or a private service
(server-side request forgery), and the delivery error would tell them whether a port was
open. The guard resolves the host and refuses any address that is not globally routable
unless an admin listed the host in ``GROUNDSWELL_OUTBOUND_ALLOW_HOSTS``.

It runs twice: when a target is saved (a clear 422 for the user) and right before each
delivery (DNS can change between the two). A connection still goes to whatever the
resolver answers a moment later; pinning the address would need a custom transport per
client library, and the window is short — see docs/adr/0012-edge-hardening.md.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Sequence[str]]

GENERIC_REFUSAL = "the target is not reachable from this server"
"""What non-admins see for any refused or failed outbound call: it reveals nothing."""


class OutboundRefusedError(ValueError):
    """The target is not allowed; a ``ValueError`` so pydantic validators report it."""


def _system_resolver(host: str, port: int) -> Sequence[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def parse_allow_hosts(value: str | Iterable[str] | None) -> frozenset[str]:
    """``"hooks.local, 10.0.0.5"`` → lower-case host names (ports are not part of it)."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(item.strip().lower().rstrip(".") for item in items if item.strip())


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; False for every special range."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


@dataclass(frozen=True)
class OutboundPolicy:
    """Which hosts an admin allowed despite a non-public address, and how to resolve."""

    allow_hosts: frozenset[str] = frozenset()
    resolver: Resolver = _system_resolver

    @classmethod
    def from_setting(cls, value: str | Iterable[str] | None) -> OutboundPolicy:
        return cls(allow_hosts=parse_allow_hosts(value))

    def check_websocket_url(self, url: str, *, must_resolve: bool = True) -> None:
        """``check_url`` for a WebSocket: ``ws://`` and ``wss://`` are checked as the
        ``http://`` and ``https://`` request that opens them (same host, same port)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            raise OutboundRefusedError("is not a valid URL") from None
        schemes = {"ws": "http", "wss": "https"}
        if parts.scheme not in schemes:
            raise OutboundRefusedError("must be an absolute ws:// or wss:// URL")
        self.check_url(
            parts._replace(scheme=schemes[parts.scheme]).geturl(), must_resolve=must_resolve
        )

    def check_url(self, url: str, *, must_resolve: bool = True) -> None:
        """Raise ``OutboundRefusedError`` unless ``url`` is http(s) to a public address.

        ``must_resolve=False`` (when a target is saved) lets a name that does not resolve
        yet pass: nothing can be posted to it, and the check before each delivery, which
        always requires an answer, refuses it if it then points inward.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise OutboundRefusedError("is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundRefusedError("must be an absolute http:// or https:// URL")
        if parts.username or parts.password:
            raise OutboundRefusedError("must not carry a user name or password")
        host = parts.hostname.lower().rstrip(".")
        if host in self.allow_hosts:
            return
        try:
            addresses = self.resolver(host, port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError):
            if not must_resolve:
                return
            raise OutboundRefusedError(f"host {host!r} does not resolve") from None
        if not addresses:
            if not must_resolve:
                return
            raise OutboundRefusedError(f"host {host!r} does not resolve")
        for address in addresses:
            if not is_public_address(address):
                raise OutboundRefusedError(
                    f"host {host!r} resolves to a non-public address; an admin can allow it "
                    "with GROUNDSWELL_OUTBOUND_ALLOW_HOSTS"
                )
