"""The client's address, believing ``X-Forwarded-For`` only from configured proxies.

Anyone can send the header; only a reverse proxy listed in ``GROUNDSWELL_TRUSTED_PROXIES``
vouches for it. The list is read right to left, skipping our own proxies, and the first
address no proxy of ours claims is the client: entries further left were written by the
client itself and could be anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def resolve_client(peer: str | None, forwarded_for: str | None, proxies: tuple[str, ...]) -> str:
    """Pure: the client address from the TCP peer and the header."""
    peer = peer or "unknown"
    networks = _networks(proxies)
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from a proxy we trust: fall back to the proxy
    return hops[0] if hops else peer


def client_address(request: HTTPConnection) -> str:
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    return resolve_client(
        peer, request.headers.get("x-forwarded-for"), tuple(settings.trusted_proxies)
    )
