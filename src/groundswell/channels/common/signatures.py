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


def sign_timestamped(secret: bytes, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>.<body>"``: the value of ``X-Groundswell-Signature``."""
    return "sha256=" + hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)


def verify_timestamped(secret: bytes, timestamp: int, body: bytes, header: str | None) -> bool:
    """Accepts several comma-separated ``sha256=`` values (a sender rotating its secret)."""
    if not header or len(header) > 2000:
        return False
    expected = sign_timestamped(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip().lower()) for part in header.split(","))
