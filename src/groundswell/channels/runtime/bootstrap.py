"""Build the connectors of the enabled channel accounts and register them for the sender.

The sender (whatever process sends replies) needs the connector of a reply's channel
without running the readers, and the API's webhook route needs the ``WebhookSource`` of
each connected webhook channel (SMS, Meta, the generic webhook); ``register_configured``
gives both. The runner
uses ``build_account`` for the same construction, so both see the same configuration.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.common.webhooks import WebhookRegistry
from groundswell.channels.common.webhooks import webhooks as default_webhooks
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime.kinds import Built, get_kind
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.channels.runtime.service import resolved_settings
from groundswell.core.db import Database
from groundswell.settings import Settings

log = logging.getLogger(__name__)


def build_account(account: ChannelAccount, settings: Settings) -> Built:
    """The account's connector and sources; raises on unreadable or invalid settings."""
    kind = get_kind(account.kind)
    values = kind.settings.model_validate(resolved_settings(account, settings))
    built = kind.build(account.key, values)
    bind = getattr(built.connector, "bind_settings", None)
    if callable(bind):  # a connector that stores in the app's own database (web chat)
        bind(settings)
    for source, _activity in built.sources.values():
        if id(source) == id(built.connector):  # bound above
            continue
        bind = getattr(source, "bind_settings", None)
        if callable(bind):  # a source that checks its URL with the outbound guard (Jetstream)
            bind(settings)
    return built


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


class ConfiguredConnectors:
    """Keeps a registry in step with the enabled channel accounts, for processes that send
    replies or check a reply against a channel's capabilities without running the readers
    (``groundswell engagement run``, ``serve`` beside separate workers).

    ``refresh`` registers new accounts, rebuilds changed ones and drops disabled or deleted
    ones; call it on a timer so a channel an admin connects is usable within one period.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        registry: ConnectorRegistry,
        webhooks: WebhookRegistry | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.registry = registry
        self.webhooks = webhooks if webhooks is not None else default_webhooks
        self._built: dict[str, tuple[datetime, Built]] = {}

    def refresh(self) -> list[str]:
        with self.db.session() as session:
            accounts = {
                a.key: a
                for a in session.scalars(
                    select(ChannelAccount).where(ChannelAccount.enabled.is_(True))
                )
            }
            for key in list(self._built):
                account = accounts.get(key)
                if account is None or account.updated_at != self._built[key][0]:
                    _at, old = self._built.pop(key)
                    self._drop(key, old)
            for key, account in accounts.items():
                if key in self._built:
                    continue
                try:
                    built = build_account(account, self.settings)
                except Exception as exc:  # unreadable credentials, invalid stored settings
                    log.warning("channel %s not registered: %s", key, type(exc).__name__)
                    continue
                self.registry.register(built.connector)
                if built.webhook is not None:
                    self.webhooks.register(built.webhook)
                self._built[key] = (account.updated_at, built)
        return sorted(self._built)

    def _drop(self, key: str, built: Built) -> None:
        self.registry.unregister(key)
        if built.webhook is not None:
            self.webhooks.unregister(built.webhook.key)
        built.close()

    def close(self) -> None:
        for key, (_at, built) in self._built.items():
            self._drop(key, built)
        self._built.clear()
