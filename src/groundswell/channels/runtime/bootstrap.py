"""Build the connectors of the enabled channel accounts and register them for the sender.

The sender (whatever process sends replies) needs the connector of a reply's channel
without running the readers; ``register_configured`` gives it exactly that. The runner
uses ``build_account`` for the same construction, so both see the same configuration.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    session: Session, *, settings: Settings, registry: ConnectorRegistry
) -> dict[str, Built]:
    """Register every enabled account's connector; returns them by key. Failures are logged
    (without settings) and skipped: one broken account never hides the others."""
    built: dict[str, Built] = {}
    accounts = session.scalars(select(ChannelAccount).where(ChannelAccount.enabled.is_(True)))
    for account in accounts:
        try:
            built[account.key] = build_account(account, settings)
        except Exception as exc:
            log.warning("channel %s not registered: %s", account.key, type(exc).__name__)
            continue
        registry.register(built[account.key].connector)
    return built
