"""``groundswell crm-sync …``: sync CRM connections now, or keep syncing."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

app = typer.Typer(help="Sync contacts, cases and activities with Salesforce and HubSpot.")


@app.command("run")
def run_command(
    force: Annotated[
        bool, typer.Option("--force/--due", help="Run every enabled connection, due or not.")
    ] = True,
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running connections as they fall due.")
    ] = False,
) -> None:
    """Run each enabled connection once and print what moved (or loop until stopped)."""
    from groundswell.core.db import Database
    from groundswell.crmsync.engine import SyncRunner
    from groundswell.settings import get_settings
    from groundswell.workers.crm_sync_loop import CrmSyncLoop

    settings = get_settings()
    db = Database(settings)
    try:
        if loop:
            stop = threading.Event()
            sync = CrmSyncLoop(settings, db)
            typer.echo("syncing CRM connections as they fall due; Ctrl-C stops")
            try:
                while not stop.is_set():
                    sync.run_due()
                    stop.wait(sync.wake_every_s)
            except KeyboardInterrupt:
                return
            return
        reports = SyncRunner(settings, db).run_all(force=force)
    finally:
        db.dispose()
    if not reports:
        typer.echo("no CRM connection to sync (add one on /admin/crm-sync)")
    failed = False
    for r in reports:
        typer.echo(
            f"{r.connection}: {r.status} · pushed {r.pushed} · unchanged {r.unchanged} · "
            f"read {r.pulled} · applied {r.applied} · new conflicts {r.conflicts}"
            + (f" · failed {r.failed}" if r.failed else "")
            + (f" · {r.detail}" if r.detail else "")
        )
        failed = failed or r.status not in ("ok", "skipped")
    if failed:
        raise typer.Exit(1)
