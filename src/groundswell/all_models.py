"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from groundswell.core.base import Base


def load_all_models() -> type[Base]:
    import groundswell.analytics.digest.models
    import groundswell.analytics.engagement.models
    import groundswell.auth.models
    import groundswell.channels.models
    import groundswell.channels.runtime.models
    import groundswell.channels.webchat.models
    import groundswell.crm.clv.models
    import groundswell.crm.consent_models
    import groundswell.crm.correction_models
    import groundswell.crm.matching.models
    import groundswell.crm.models
    import groundswell.crm.note_models
    import groundswell.crm.privacy_models
    import groundswell.crm.profiling_models
    import groundswell.crm.segment_models
    import groundswell.crmsync.models
    import groundswell.engagement.config_models
    import groundswell.engagement.models
    import groundswell.engagement.reply_models
    import groundswell.ingestion.models
    import groundswell.listening.alerts.models
    import groundswell.listening.models
    import groundswell.listening.view_models
    import groundswell.notify.models  # noqa: F401

    return Base
