"""Operations endpoints: ``/metrics`` (Prometheus), ``/healthz`` and ``/readyz``.

``/metrics`` needs a bearer API token with the ``read`` scope (or a logged-in session),
or the dedicated ``GROUNDSWELL_METRICS_TOKEN`` so a scraper needs no user account.
``/healthz`` says the process answers (no database call: a load balancer must not kill
a healthy web process because the database blinked); ``/readyz`` checks the database and
the broker and answers 503 naming what failed, so traffic goes elsewhere meanwhile.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from groundswell.api.deps import SessionDep, _bearer, current_api_user
from groundswell.api.ops_metrics import ScrapeTimeCollector
from groundswell.auth.schemas import UserRead
from groundswell.core.brokers import Broker
from groundswell.core.db import Database
from groundswell.ingestion.service import posts_stream
from groundswell.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def build_registry(db: Database, broker: Broker, settings: Settings) -> CollectorRegistry:
    """The app's own registry: the scrape-time gauges of this app's database and broker."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeTimeCollector(db, broker, settings))
    return registry


def metrics_reader(request: Request, session: SessionDep, credentials: Bearer) -> UserRead | None:
    """The metrics token, or any API token with ``read`` / a session (``current_api_user``)."""
    settings: Settings = request.app.state.settings
    configured = settings.metrics_token
    if credentials is not None and configured is not None:
        expected = configured.get_secret_value()
        if expected and secrets.compare_digest(credentials.credentials, expected):
            return None
    return current_api_user(request, session, credentials)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "text exposition format"},
        401: {"description": "no valid token"},
        403: {"description": "the token lacks the read scope"},
    },
)
def metrics(request: Request, _: Annotated[UserRead | None, Depends(metrics_reader)]) -> Response:
    """Pipeline counters and stage latencies of this process, and gauges read from the
    database and broker at scrape time (cached briefly). See docs/operations.md."""
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Liveness: the process answers", include_in_schema=True)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database and broker reachable",
    responses={503: {"description": "the database or the broker is unreachable"}},
)
def readyz(request: Request) -> Response:
    checks: dict[str, Any] = {}
    db: Database = request.app.state.db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        checks["database"] = f"unreachable ({type(exc).__name__})"
    broker: Broker = request.app.state.broker
    try:
        broker.pending(posts_stream(request.app.state.settings), "readiness-probe")
        checks["broker"] = "ok"
    except Exception as exc:
        log.warning("readiness: broker unreachable: %s", type(exc).__name__)
        checks["broker"] = f"unreachable ({type(exc).__name__})"
    failed = [name for name, state in checks.items() if state != "ok"]
    return JSONResponse(
        {"status": "ok" if not failed else "unavailable", "failed": failed, "checks": checks},
        status_code=503 if failed else 200,
    )
