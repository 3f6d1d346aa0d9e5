"""``/api/v1`` routes for listening."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["listening"])
