"""The webhook signature: HMAC-SHA256 over the timestamp and the raw body.

The signed string is ``<timestamp>.<raw body bytes>`` where the timestamp is Unix
seconds, also sent as ``X-Groundswell-Timestamp``; the signature travels as
``X-Groundswell-Signature: sha256=<hex digest>``. Signing the timestamp with the body
lets a receiver refuse old requests (a replay) as well as forged ones: it recomputes
the digest with the shared secret, compares in constant time, and checks the timestamp
is within a few minutes of its own clock.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Groundswell-Signature"
TIMESTAMP_HEADER = "X-Groundswell-Timestamp"
DELIVERY_HEADER = "X-Groundswell-Delivery"
EVENT_HEADER = "X-Groundswell-Event"
DEFAULT_TOLERANCE_S = 300


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: bytes,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """What a receiver does: right digest, and a timestamp close to its own clock."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
