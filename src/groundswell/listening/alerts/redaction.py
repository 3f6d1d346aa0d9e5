"""What each role may see of alert targets and delivery errors.

Webhook and Slack URLs carry their secret in the path, so once saved they are shown to
no one whole, admins included: every read gives the scheme and host (``https://host/…``),
like a channel's credentials. Whoever manages rules can replace a URL; sending the masked
form back keeps the saved one (``rules.keep_saved_urls``). A delivery error can tell
whether a port answered, so only admins read it; everyone else sees that the delivery
failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from groundswell.listening.alerts.schemas import AlertRuleRead, AlertTarget, DeliveryRead

GENERIC_DELIVERY_ERROR = "delivery failed (an admin can see why)"


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/services/T/B/secret`` → ``https://hooks.slack.com/…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "…"
    return f"{parts.scheme}://{host}/…" if host else "…"


def is_masked(url: str) -> bool:
    """Whether ``url`` is a masked form (``mask_url``'s), not a URL to post to."""
    return url.endswith("/…") or url == "…"


def _mask_target(target: AlertTarget) -> AlertTarget:
    if target.kind in ("webhook", "slack"):
        return target.model_copy(update={"to": mask_url(target.to)})
    return target


def masked_rule(rule: AlertRuleRead) -> AlertRuleRead:
    """The rule with its webhook and Slack URLs masked, as every read shows it."""
    return rule.model_copy(update={"targets": [_mask_target(t) for t in rule.targets]})


def delivery_for_role(delivery: DeliveryRead, role: str) -> DeliveryRead:
    if role == "admin" or delivery.last_error is None:
        return delivery
    return delivery.model_copy(update={"last_error": GENERIC_DELIVERY_ERROR})
