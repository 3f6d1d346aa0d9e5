"""``groundswell listening run``: spike evaluation and alert delivery in the foreground.

For production set-ups where ``serve`` runs without the embedded worker; several of
these may run at once (each tick is locked, each delivery claimed once).
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from groundswell.core.db import Database
from groundswell.core.logs import configure_logging
from groundswell.settings import get_settings


def run(
    every: Annotated[
        float, typer.Option(help="Seconds between checks for a newly closed minute.", min=0.5)
    ] = 5.0,
) -> None:
    """Judge each closed minute for spikes, keep alerts current, send notifications
    (alerts and the scheduled executive digests)."""
    from groundswell.workers.digest_loop import DigestLoop
    from groundswell.workers.listen_loop import ListenLoop

    configure_logging()
    settings = get_settings()
    db = Database(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _s, _f: stop.set())
    typer.echo("listening: evaluating closed minutes and delivering alerts (Ctrl-C stops)")
    digests = DigestLoop(settings, db)
    digests.start()
    try:
        ListenLoop(settings, db, evaluate_every_s=every).run(stop)
    finally:
        digests.stop()
        db.dispose()
