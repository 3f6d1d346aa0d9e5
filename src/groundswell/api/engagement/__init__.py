"""``/api/v1`` routes for engagement: cases, replies, notes, rules, queues, SLA policies,
canned responses and CSAT, with the roles enforced here (see ``deps``)."""

from __future__ import annotations

from fastapi import APIRouter

from groundswell.api.engagement import routes_cases, routes_config, routes_replies

router = APIRouter()
for _module in (routes_cases, routes_replies, routes_config):
    router.include_router(_module.router)
