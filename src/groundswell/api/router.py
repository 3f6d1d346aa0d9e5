"""All ``/api/v1`` routes."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.api.routes_ingest import router as ingest_router
from groundswell.api.routes_read import router as read_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(ingest_router)
api_router.include_router(read_router)
