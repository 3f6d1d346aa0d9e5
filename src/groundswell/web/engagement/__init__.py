"""Engagement pages: the inbox, a case, approvals, the proactive view, the CSAT page."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.web.engagement import case_pages, csat_pages, inbox_pages

router = APIRouter(include_in_schema=False)
for _module in (inbox_pages, case_pages, csat_pages):
    router.include_router(_module.router)
