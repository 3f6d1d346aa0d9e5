"""A channel's URL settings through the outbound guard.

A kind lists in ``Kind.outbound_fields`` the URLs its connector opens that an admin
types in (Bluesky's ``jetstream_url``); without a check, saving a channel could point the
server at loopback, the cloud metadata address or a private service. They are checked
when the settings are saved (a 422 naming the field; a name that does not resolve yet
may be saved), when the connection is tested, and by the connector itself before each
request it sends (``channels/common/guard.py``; ``JetstreamSource`` before each
connection), since DNS can change in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundswell.channels.runtime.kinds import Kind
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.settings import Settings


class OutboundFieldRefused(ValueError):
    """One URL setting the guard refused; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def policy_of(settings: Settings) -> OutboundPolicy:
    return OutboundPolicy.from_setting(settings.outbound_allow_hosts)


def check_url_setting(policy: OutboundPolicy, url: str, *, must_resolve: bool = True) -> None:
    """``ws(s)://`` as a WebSocket, anything else as an HTTP(S) URL."""
    if url.lower().startswith(("ws://", "wss://")):
        policy.check_websocket_url(url, must_resolve=must_resolve)
    else:
        policy.check_url(url, must_resolve=must_resolve)


def check_outbound_fields(
    kind: Kind, values: Mapping[str, Any], policy: OutboundPolicy, *, must_resolve: bool
) -> None:
    """Raise ``OutboundFieldRefused`` for the first of the kind's URL settings refused."""
    for name in kind.outbound_fields:
        url = values.get(name)
        if not url:
            continue
        try:
            check_url_setting(policy, str(url), must_resolve=must_resolve)
        except OutboundRefusedError as exc:
            raise OutboundFieldRefused(name, str(exc)) from None
