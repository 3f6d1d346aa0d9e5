"""``/api/v1`` routes for drilldown."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["drilldown"])
