"""Server-rendered pages (Jinja2 + HTMX), their static assets and ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from groundswell.api.webchat.routes import router as webchat_router
from groundswell.web import (
    access_pages,
    account_pages,
    alert_pages,
    audit_pages,
    auth_pages,
    channels_pages,
    contact_note_pages,
    contact_pages,
    correction_pages,
    crm_account_pages,
    crm_sync_pages,
    digest_pages,
    drilldown_pages,
    identity_pages,
    journey_pages,
    lead_pages,
    listening_pages,
    model_pages,
    privacy_pages,
    profiling_pages,
    segment_pages,
    stream_pages,
    subject_pages,
    team_pages,
    webchat_pages,
    webhook_pages,
)
from groundswell.web.deps import LoginRequired, login_required_handler
from groundswell.web.docs import install_docs
from groundswell.web.engagement import router as engagement_router
from groundswell.web.login_limits import LoginLimiter
from groundswell.web.response_policy import ResponsePolicyMiddleware
from groundswell.web.security import SecurityHeadersMiddleware
from groundswell.web.templating import STATIC_DIR


def install_web(app: FastAPI) -> None:
    app.state.login_throttle = LoginLimiter(app.state.settings)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        ResponsePolicyMiddleware, production=app.state.settings.environment == "production"
    )
    app.add_exception_handler(LoginRequired, login_required_handler)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)
    for module in (
        auth_pages,
        stream_pages,
        contact_pages,
        subject_pages,
        listening_pages,
        alert_pages,
        drilldown_pages,
        digest_pages,
        correction_pages,
        model_pages,
        identity_pages,
        contact_note_pages,
        privacy_pages,
        crm_account_pages,
        access_pages,
        webhook_pages,
        audit_pages,
        account_pages,
        team_pages,
        segment_pages,
        lead_pages,
        journey_pages,
        profiling_pages,
    ):
        app.include_router(module.router)
    app.include_router(channels_pages.router)
    app.include_router(crm_sync_pages.router)
    app.include_router(engagement_router)
    app.include_router(webchat_pages.router)
    app.include_router(webchat_router)
