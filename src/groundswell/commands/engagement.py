"""``groundswell engagement …``: the engagement loop in the foreground, SLA checks.

For production set-ups where ``serve`` runs without the embedded worker (Redis broker):
``engagement run`` consumes interaction events for the rules, sends replies through the
connectors registered in this process, and keeps SLA clocks. Several may run at once.
"""

from __future__ import annotations

import signal
import threading

import typer

from groundswell.core.db import Database
from groundswell.core.logs import configure_logging
from groundswell.settings import get_settings

app = typer.Typer(help="Engagement: rules, replies and SLA clocks.", no_args_is_help=True)


@app.command("run")
def run() -> None:
    """Apply rules to stored interactions, send queued replies, warn and breach SLAs."""
    from groundswell.core.brokers import open_broker
    from groundswell.workers.engage_loop import EngageLoop

    configure_logging()
    settings = get_settings()
    if settings.embedded_broker:
        typer.secho(
            "error: the in-process broker cannot be shared; set GROUNDSWELL_BROKER_URL=redis://… "
            "or use `groundswell serve`, which runs the engagement loop itself",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    db = Database(settings)
    broker = open_broker(settings.broker_url)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _s, _f: stop.set())
    typer.echo("engagement: rules, replies and SLA clocks (Ctrl-C stops)")
    try:
        EngageLoop(settings, db, broker, register_channels=True).run(stop)
    finally:
        broker.close()
        db.dispose()


@app.command("check-sla")
def check_sla() -> None:
    """Warn about cases near breach and record breaches once, now."""
    from groundswell.core.clock import utcnow
    from groundswell.engagement.sla import check_due

    db = Database(get_settings())
    try:
        with db.session() as session:
            warnings, breaches = check_due(session, now=utcnow())
        typer.echo(f"{warnings} warnings, {breaches} breaches queued for notification")
    finally:
        db.dispose()
