"""The outbound guard refuses every non-public address unless an admin allowed the host."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError, is_public_address


def resolving_to(*addresses: str) -> OutboundPolicy:
    def resolver(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return OutboundPolicy(resolver=resolver)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "not-an-ip",
    ],
)
def test_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)
    with pytest.raises(OutboundRefusedError):
        resolving_to(address).check_url("https://hooks.example.com/x")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)
    resolving_to(address).check_url("https://hooks.example.com/x")


def test_one_private_answer_among_public_ones_refuses() -> None:
    with pytest.raises(OutboundRefusedError):
        resolving_to("93.184.216.34", "10.0.0.1").check_url("https://hooks.example.com/x")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "http:///nohost",
        "https://user:pw@example.com/",
        "http://[::1/",
        "http://example.com:99999/",
    ],
)
def test_malformed_or_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefusedError):
        resolving_to("93.184.216.34").check_url(url)


def test_an_admin_can_allow_a_host_explicitly() -> None:
    def never(host: str, port: int) -> Sequence[str]:
        raise AssertionError("an allowed host is not resolved")

    policy = OutboundPolicy.from_setting(" 127.0.0.1, Hooks.Internal. ")
    policy = OutboundPolicy(allow_hosts=policy.allow_hosts, resolver=never)
    policy.check_url("http://127.0.0.1:8080/in")
    policy.check_url("https://hooks.internal/in")
    with pytest.raises(OutboundRefusedError):
        OutboundPolicy.from_setting("127.0.0.1").check_url("http://localhost:8080/in")


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> Sequence[str]:
        raise OSError("no such host")

    with pytest.raises(OutboundRefusedError, match="does not resolve"):
        OutboundPolicy(resolver=fails).check_url("https://nowhere.invalid/")


def test_an_unresolvable_name_may_be_saved_but_never_delivered_to() -> None:
    def fails(host: str, port: int) -> Sequence[str]:
        raise OSError("no such host")

    policy = OutboundPolicy(resolver=fails)
    policy.check_url("https://not-yet.example.com/", must_resolve=False)
    with pytest.raises(OutboundRefusedError):
        policy.check_url("https://not-yet.example.com/")


def test_websocket_urls_are_checked_as_the_request_that_opens_them() -> None:
    seen: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        seen.append((host, port))
        return ["10.0.0.7"] if host == "inside.example.com" else ["93.184.216.34"]

    policy = OutboundPolicy(resolver=resolver)
    policy.check_websocket_url("wss://jetstream.example.com/subscribe")
    policy.check_websocket_url("ws://jetstream.example.com:6008/subscribe")
    assert seen == [("jetstream.example.com", 443), ("jetstream.example.com", 6008)]
    with pytest.raises(OutboundRefusedError, match="non-public"):
        policy.check_websocket_url("wss://inside.example.com/subscribe")
    with pytest.raises(OutboundRefusedError, match="ws://"):
        policy.check_websocket_url("https://jetstream.example.com/subscribe")
    with pytest.raises(OutboundRefusedError, match="user name"):
        policy.check_websocket_url("wss://u:p@jetstream.example.com/subscribe")
    allowed = OutboundPolicy(allow_hosts=frozenset({"inside.example.com"}), resolver=resolver)
    allowed.check_websocket_url("wss://inside.example.com/subscribe")
