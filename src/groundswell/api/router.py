"""All ``/api/v1`` routes."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.api import (
    routes_alerts,
    routes_clv,
    routes_corrections,
    routes_drilldown,
    routes_identity,
    routes_ingest,
    routes_listening,
    routes_privacy,
    routes_read,
)

api_router = APIRouter(prefix="/api/v1")
for module in (
    routes_ingest,
    routes_read,
    routes_listening,
    routes_alerts,
    routes_drilldown,
    routes_corrections,
    routes_clv,
    routes_identity,
    routes_privacy,
):
    api_router.include_router(module.router)
