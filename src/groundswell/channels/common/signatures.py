"""HMAC webhook signatures, compared in constant time.

Networks sign their deliveries with a shared secret: Meta with ``X-Hub-Signature-256:
sha256=<hex>``, the generic webhook with ``t=<unix>,v1=<hex>`` over ``"<t>.<body>"``
(the Stripe scheme, so senders can reuse a known recipe). Twilio's scheme is checked by
``twilio.request_validator`` in the SMS package, not here.
"""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_prefixed_sha256(secret: bytes, body: bytes, header: str | None) -> bool:
    """``sha256=<hex>`` over the raw body (Meta's ``X-Hub-Signature-256``)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac_sha256_hex(secret, body)
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def parse_timestamped(header: str | None) -> tuple[int, list[str]] | None:
    """``t=<unix>,v1=<hex>[,v1=<hex>…]`` → (t, signatures); None if it is not that shape."""
    if not header or len(header) > 2000:
        return None
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def sign_timestamped(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header a sender puts on a generic webhook delivery."""
    digest = hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)
    return f"t={timestamp},v1={digest}"


def verify_timestamped(secret: bytes, timestamp: int, signatures: list[str], body: bytes) -> bool:
    expected = hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
