"""The FastAPI application factory: API, web pages and (embedded) the worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from groundswell import __version__
from groundswell.api.body_limit import BodyLimitMiddleware
from groundswell.api.errors import install_error_handlers
from groundswell.api.openapi import install_openapi
from groundswell.api.router import api_router
from groundswell.api.routes_ops import build_registry
from groundswell.api.routes_ops import router as ops_router
from groundswell.core.brokers import Broker, open_broker
from groundswell.core.db import Database
from groundswell.core.instance_keys import resolve_keys
from groundswell.settings import Settings, get_settings
from groundswell.web.error_pages import install_error_pages
from groundswell.web.routes import install_web


def create_app(
    settings: Settings | None = None,
    *,
    broker: Broker | None = None,
    embedded_worker: bool | None = None,
    demo_speed: float | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app. With the in-process broker the worker runs inside the app.

    ``embedded_worker`` defaults to True exactly when the broker is in-process, since
    nothing else could consume its messages. ``freeze_heap`` (a served process, not
    tests) freezes the start-up heap once the lifespan has started everything.
    """
    settings = settings or get_settings()
    from groundswell.analytics.engagement.hooks import install as install_rollup_hook

    install_rollup_hook()
    resolve_keys(settings)  # refuses to start in production with a public or short key
    db = Database(settings)
    broker = broker or open_broker(settings.broker_url)
    run_worker = settings.embedded_broker if embedded_worker is None else embedded_worker
    from groundswell.engagement.presence import board

    if settings.broker_url.startswith(("redis://", "rediss://")):
        board.use_redis(settings.broker_url)  # web processes share who is typing
    else:
        board.use_memory()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from groundswell.workers.embedded import EmbeddedWorker

        # The demo's stand-in networks start, and its channel accounts point at them,
        # before any connector runs: a runner started first would poll the previous
        # run's ports and log refusals on every start.
        demo_channels = None
        open_networks = None
        if demo_speed is not None and settings.connectors_enabled:
            from groundswell.demo.channel_standins import DemoChannels as OpenNetworks
            from groundswell.demo.channels import DemoChannels

            demo_channels = DemoChannels(app)
            demo_channels.start()
            open_networks = OpenNetworks(app)
            app.state.demo_channels = open_networks
            open_networks.start()
        worker = EmbeddedWorker(settings, db, broker) if run_worker else None
        app.state.worker = worker
        if worker is not None:
            worker.start()
        sync = None
        if worker is None and settings.connectors_enabled:
            from groundswell.workers.channel_sync import ChannelSync

            sync = ChannelSync(settings, db)
            sync.start()
        demo = None
        if demo_speed is not None:
            from groundswell.demo.runner import DemoReplay

            demo = DemoReplay(app, speed=demo_speed)
            demo.thread.start()
        demo_crm = None
        if demo_speed is not None:
            from groundswell.demo.crm_demo import DemoCrm

            demo_crm = DemoCrm(app)
            app.state.demo_crm = demo_crm
            demo_crm.start()
        if freeze_heap:
            from groundswell.core.runtime import freeze_startup_heap

            freeze_startup_heap()
        try:
            yield
        finally:
            # In the reverse order of the start: the connectors (in the worker or the
            # sync) stop before the stand-in networks they poll, so a shutdown does not
            # record refusals as the channels' errors (they showed in the next digest).
            if demo is not None:
                demo.stop.set()
                demo.thread.join(5)
            if demo_crm is not None:
                demo_crm.stop()
            if worker is not None:
                worker.stop()
            if sync is not None:
                sync.stop()
            if open_networks is not None:
                open_networks.stop()
            if demo_channels is not None:
                demo_channels.close()
            broker.close()
            db.dispose()

    app = FastAPI(
        title="Groundswell",
        version=__version__,
        description="Open-source Social CRM: listen, understand, remember, engage.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.broker = broker
    app.state.metrics_registry = build_registry(db, broker, settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=resolve_keys(settings).session_key,
        session_cookie="gs_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    install_error_handlers(app)
    install_error_pages(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.include_router(api_router)
    app.include_router(ops_router)
    install_web(app)
    install_openapi(app)
    return app
