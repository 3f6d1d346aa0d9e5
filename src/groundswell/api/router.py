"""All ``/api/v1`` routes."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.api import (
    routes_admin,
    routes_alerts,
    routes_corrections,
    routes_drilldown,
    routes_ingest,
    routes_listening,
    routes_models,
    routes_read,
    routes_webhooks,
)

api_router = APIRouter(prefix="/api/v1")
for module in (
    routes_ingest,
    routes_read,
    routes_listening,
    routes_alerts,
    routes_drilldown,
    routes_corrections,
    routes_models,
    routes_webhooks,
):
    api_router.include_router(module.router)
api_router.include_router(routes_admin.router)

from groundswell.api import routes_channels  # noqa: E402

api_router.include_router(routes_channels.router)

from groundswell.api.engagement import router as engagement_router  # noqa: E402

api_router.include_router(engagement_router)
