"""What each role may see of alert targets and delivery errors.

Webhook and Slack URLs carry their secret in the path, so only the roles that manage
rules (admins and analysts, who must edit them) see them whole; agents see the scheme
and host. A delivery error can tell whether a port answered, so only admins read it;
everyone else sees that the delivery failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from groundswell.listening.alerts.schemas import AlertRuleRead, AlertTarget, DeliveryRead

MANAGER_ROLES = frozenset({"admin", "analyst"})
GENERIC_DELIVERY_ERROR = "delivery failed (an admin can see why)"


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/services/T/B/secret`` → ``https://hooks.slack.com/…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "…"
    return f"{parts.scheme}://{host}/…" if host else "…"


def _mask_target(target: AlertTarget) -> AlertTarget:
    if target.kind in ("webhook", "slack"):
        return target.model_copy(update={"to": mask_url(target.to)})
    return target


def rule_for_role(rule: AlertRuleRead, role: str) -> AlertRuleRead:
    if role in MANAGER_ROLES:
        return rule
    return rule.model_copy(update={"targets": [_mask_target(t) for t in rule.targets]})


def delivery_for_role(delivery: DeliveryRead, role: str) -> DeliveryRead:
    if role == "admin" or delivery.last_error is None:
        return delivery
    return delivery.model_copy(update={"last_error": GENERIC_DELIVERY_ERROR})
