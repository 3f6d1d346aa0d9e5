"""The signing secret of a webhook subscription, derived rather than stored."""

from __future__ import annotations

import hashlib
import hmac


def subscription_secret(instance_key: bytes, salt: str) -> str:
    """The signing secret of a subscription: derived, never stored.

    HMAC of the subscription's random salt under the instance webhook key; shown to the
    admin once when the subscription is created. Rotating the instance key changes every
    subscription's secret (docs/webhooks.md says so).
    """
    digest = hmac.new(instance_key, b"webhook-subscription:" + salt.encode(), hashlib.sha256)
    return "whsec_" + digest.hexdigest()
