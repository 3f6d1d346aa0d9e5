"""All ``/api/v1`` routes."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.api import (
    routes_admin,
    routes_admin_webhooks,
    routes_alerts,
    routes_channels,
    routes_clv,
    routes_contact_record,
    routes_corrections,
    routes_crm_sync,
    routes_digest,
    routes_drilldown,
    routes_identity,
    routes_ingest,
    routes_leads,
    routes_listening,
    routes_models,
    routes_privacy,
    routes_read,
    routes_segments,
    routes_webhooks,
)
from groundswell.api.analytics import router as analytics_router
from groundswell.api.engagement import router as engagement_router

api_router = APIRouter(prefix="/api/v1")
# Routes match in the order they are added, one pattern after another: the networks'
# webhook deliveries and the ingest API, the hot paths, are tried first.
for module in (
    routes_webhooks,
    routes_ingest,
    routes_read,
    routes_listening,
    routes_alerts,
    routes_drilldown,
    routes_corrections,
    routes_models,
    routes_clv,
    routes_identity,
    routes_privacy,
    routes_admin,
    routes_admin_webhooks,
    routes_channels,
    routes_digest,
    routes_crm_sync,
    routes_segments,
    routes_leads,
    routes_contact_record,
):
    api_router.include_router(module.router)
api_router.include_router(engagement_router)
api_router.include_router(analytics_router)
