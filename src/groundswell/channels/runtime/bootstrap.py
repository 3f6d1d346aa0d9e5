"""Build the connectors of the enabled channel accounts and register them for the sender.

The sender (whatever process sends replies) needs the connector of a reply's channel
without running the readers, and the API's webhook route needs the ``WebhookSource`` of
each connected webhook channel (SMS, Meta, the generic webhook); ``register_configured``
gives both. The runner
uses ``build_account`` for the same construction, so both see the same configuration.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.common.webhooks import webhooks as default_webhooks
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime.kinds import Built, get_kind
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.channels.runtime.service import resolved_settings
from groundswell.settings import Settings

log = logging.getLogger(__name__)


def build_account(account: ChannelAccount, settings: Settings) -> Built:
    """The account's connector and sources; raises on unreadable or invalid settings."""
    kind = get_kind(account.kind)
    values = kind.settings.model_validate(resolved_settings(account, settings))
    return kind.build(account.key, values)


def register_configured(
    session: Session,
    *,
    settings: Settings,
    registry: ConnectorRegistry,
    webhooks: WebhookRegistry | None = None,
) -> dict[str, Built]:
    """Register every enabled account's connector, and its webhook source in ``webhooks``
    (the process-wide registry the route falls back to, unless given); returns them by
    key. Failures are logged (without settings) and skipped: one broken account never
    hides the others."""
    hooks = webhooks if webhooks is not None else default_webhooks
    built: dict[str, Built] = {}
    accounts = session.scalars(select(ChannelAccount).where(ChannelAccount.enabled.is_(True)))
    for account in accounts:
        try:
            built[account.key] = build_account(account, settings)
        except Exception as exc:
            log.warning("channel %s not registered: %s", account.key, type(exc).__name__)
            continue
        registry.register(built[account.key].connector)
        hook = built[account.key].webhook
        if hook is not None:
            hooks.register(hook)
    return built
