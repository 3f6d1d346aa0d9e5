"""``groundswell clv …``: import purchases, refit customer value, on demand or on a schedule."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Customer lifetime value from purchases.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command("import")
def import_transactions_command(
    file: Annotated[Path, typer.Argument(help="CSV with customer_key, date, amount.")],
) -> None:
    """Import purchases; rows with a bad amount, date or unknown customer are refused alone."""
    from groundswell.core.db import Database
    from groundswell.crm.clv.service import import_transactions
    from groundswell.crm.transaction_file import UnreadableTransactionsError, read_file
    from groundswell.settings import get_settings

    try:
        parsed = list(read_file(file))
    except UnreadableTransactionsError as exc:
        raise _fail(f"{file}: {exc}") from exc
    items = [(ref, item) for ref, item, _, _, _ in parsed if item is not None]
    refused = [
        (ref, field, reason or "invalid", raw)
        for ref, item, field, reason, raw in parsed
        if item is None
    ]
    db = Database(get_settings())
    try:
        with db.session() as session:
            report = import_transactions(
                session, source=f"import:{file.name}", items=items, refused=refused
            )
    finally:
        db.dispose()
    typer.echo(
        f"{report.read} rows read: {report.imported} imported, {report.duplicates} already "
        f"known, {report.rejected} refused"
    )
    for r in report.rejections[:20]:
        field = f" [{r.field}]" if r.field else ""
        typer.echo(f"  {r.record}{field}: {r.reason}")
    if report.rejected:
        typer.echo(f"all refusals: groundswell rejects --source transactions:import:{file.name}")


def _refit_once(triggered_by: str, cutoff: date | None = None) -> str:
    from groundswell.core.db import Database
    from groundswell.crm.clv.service import refit
    from groundswell.settings import get_settings

    settings = get_settings()
    db = Database(settings)
    try:
        with db.session() as session:
            run = refit(
                session,
                horizon_weeks=settings.clv_horizon_weeks,
                annual_discount_rate=settings.clv_annual_discount_rate,
                triggered_by=triggered_by,
                cutoff=cutoff,
            )
    finally:
        db.dispose()
    if run.status != "fitted":
        return f"run {run.id}: {run.status} ({run.customers} buyers, {run.repeat_customers} repeat)"
    return (
        f"run {run.id}: {run.customers} buyers ({run.repeat_customers} repeat); "
        f"BG/NBD r={run.r:.3f} α={run.alpha:.3f} a={run.a:.3f} b={run.b:.3f} "
        f"LL={run.bgnbd_log_likelihood:.1f}; Gamma-Gamma p={run.p:.2f} q={run.q:.2f} "
        f"γ={run.gamma:.2f}"
    )


@app.command("refit")
def refit_command(
    cutoff: Annotated[
        str | None, typer.Option(help="Use purchases up to this date (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Fit BG/NBD and Gamma-Gamma now and store every buyer's value."""
    when = None
    if cutoff:
        try:
            when = date.fromisoformat(cutoff)
        except ValueError as exc:
            raise _fail(f"--cutoff {cutoff!r} is not a YYYY-MM-DD date") from exc
    typer.echo(_refit_once("cli", when))


@app.command("schedule")
def schedule_command(
    once: Annotated[bool, typer.Option(help="Check once and exit (for cron).")] = False,
    check_every: Annotated[float, typer.Option(min=1.0, help="Seconds between checks.")] = 600.0,
) -> None:
    """Refit whenever the latest fit is older than GROUNDSWELL_CLV_REFIT_INTERVAL_HOURS."""
    from groundswell.core.db import Database
    from groundswell.crm.clv.service import refit_due
    from groundswell.settings import get_settings

    settings = get_settings()
    stop = threading.Event()
    while True:
        db = Database(settings)
        try:
            with db.session() as session:
                due = refit_due(session, interval_hours=settings.clv_refit_interval_hours)
        finally:
            db.dispose()
        if due:
            typer.echo(_refit_once("schedule"))
        elif once:
            typer.echo("latest fit is recent; nothing to do")
        if once or stop.wait(check_every):
            return
