"""``/api/v1`` routes for corrections."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["corrections"])
