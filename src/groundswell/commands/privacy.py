"""``groundswell privacy …``: export or erase one person's data (both logged)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="One person's data: export and erase.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command("export")
def export_command(
    contact: Annotated[int, typer.Argument(help="Contact id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write.")],
) -> None:
    """Write every row about the contact (and contacts merged into it) as JSON."""
    from groundswell.core.db import Database
    from groundswell.core.errors import NotFoundError
    from groundswell.crm.privacy import export_person
    from groundswell.settings import get_settings

    db = Database(get_settings())
    try:
        with db.session() as session:
            data = export_person(session, contact_id=contact, actor="cli")
    except NotFoundError as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    total = sum(data["counts"].values())
    typer.echo(f"wrote {total} rows from {len(data['counts'])} tables to {out}")


@app.command("erase")
def erase_command(
    contact: Annotated[int, typer.Argument(help="Contact id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Erase the person everywhere (raw payloads and dead letters included)."""
    from groundswell.core.db import Database
    from groundswell.core.errors import NotFoundError
    from groundswell.crm.privacy import erase_person
    from groundswell.settings import get_settings

    if not yes:
        raise _fail("erasing cannot be undone; add --yes to confirm")
    db = Database(get_settings())
    try:
        with db.session() as session:
            counts = erase_person(session, contact_id=contact, actor="cli")
    except NotFoundError as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    typer.echo("erased: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))


@app.command("purge")
def purge_command(
    every: Annotated[
        float | None, typer.Option(min=60.0, help="Repeat every N seconds (a schedule).")
    ] = None,
) -> None:
    """Apply the retention rules (GROUNDSWELL_RETENTION_*_DAYS); rollup counts are kept."""
    import threading

    from groundswell.core.db import Database
    from groundswell.crm.retention import purge
    from groundswell.settings import get_settings

    settings = get_settings()
    stop = threading.Event()
    while True:
        db = Database(settings)
        try:
            with db.session() as session:
                done = purge(
                    session,
                    private_days=settings.retention_private_days,
                    public_days=settings.retention_public_days,
                    dead_letter_days=settings.retention_dead_letter_days,
                )
        finally:
            db.dispose()
        typer.echo(
            f"purged {done['private']} private and {done['public']} public interactions, "
            f"{done['dead_letters']} dead letters"
        )
        if every is None or stop.wait(every):
            return
