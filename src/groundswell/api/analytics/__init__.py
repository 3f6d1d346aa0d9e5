"""Analytics API: engagement figures and CSV exports."""

from fastapi import APIRouter

from groundswell.api.analytics import routes_engagement, routes_exports

router = APIRouter()
router.include_router(routes_engagement.router)
router.include_router(routes_exports.router)
