"""``groundswell identity …``: match contacts (incrementally or all), merge, unmerge, log."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

app = typer.Typer(
    help="Identity resolution: duplicates, merges, the merge log.", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command("match")
def match_command(
    all_contacts: Annotated[
        bool, typer.Option("--all", help="Re-match every contact, not only new ones.")
    ] = False,
    watch: Annotated[bool, typer.Option(help="Keep matching new contacts as they arrive.")] = False,
    every: Annotated[float, typer.Option(min=0.5, help="Seconds between watch rounds.")] = 5.0,
) -> None:
    """Find candidate pairs: merge above the automatic threshold, queue the band below."""
    from groundswell.core.db import Database
    from groundswell.crm.matching.service import match_pending, rerun_all
    from groundswell.settings import get_settings

    settings = get_settings()
    db = Database(settings)
    auto = settings.identity_auto_merge_threshold
    review = settings.identity_review_threshold
    stop = threading.Event()
    try:
        first = True
        while True:
            with db.session() as session:
                if all_contacts and first:
                    report = rerun_all(session, auto_threshold=auto, review_threshold=review)
                else:
                    report = match_pending(session, auto_threshold=auto, review_threshold=review)
            first = False
            if report.contacts or not watch:
                per = report.compared / report.contacts if report.contacts else 0.0
                typer.echo(
                    f"{report.contacts} contacts matched, {report.compared} pairs compared "
                    f"({per:.1f} per contact), {report.candidates} candidates, "
                    f"{report.merged} merged automatically"
                )
            if not watch or stop.wait(every):
                return
    finally:
        db.dispose()


@app.command("merge")
def merge_command(
    kept: Annotated[int, typer.Argument(help="The contact that stays.")],
    merged: Annotated[int, typer.Argument(help="The contact merged into it.")],
    reason: Annotated[str, typer.Option(help="Why, for the merge log.")] = "merged by hand",
) -> None:
    """Merge one contact into another (undo with `identity unmerge`)."""
    from groundswell.core.db import Database
    from groundswell.core.errors import InvalidInputError, NotFoundError
    from groundswell.crm.matching.merge import MergeConflictError, merge_contacts
    from groundswell.settings import get_settings

    db = Database(get_settings())
    try:
        with db.session() as session:
            event = merge_contacts(
                session, kept_id=kept, merged_id=merged, actor="cli", reason=reason
            )
    except (NotFoundError, InvalidInputError, MergeConflictError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    moved = ", ".join(f"{n} {t}" for t, n in event.moved.items()) or "nothing"
    typer.echo(f"merge {event.id}: contact {merged} into {kept} (moved {moved})")


@app.command("unmerge")
def unmerge_command(event: Annotated[int, typer.Argument(help="The merge log id.")]) -> None:
    """Undo one merge: every moved row goes back to the merged contact."""
    from groundswell.core.db import Database
    from groundswell.core.errors import NotFoundError
    from groundswell.crm.matching.merge import MergeConflictError, unmerge
    from groundswell.settings import get_settings

    db = Database(get_settings())
    try:
        with db.session() as session:
            done = unmerge(session, event_id=event, actor="cli")
    except (NotFoundError, MergeConflictError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    typer.echo(f"merge {done.id} undone: contact {done.merged_contact_id} restored")


@app.command("log")
def log_command(
    contact: Annotated[int | None, typer.Option(help="Only merges of this contact.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The merge log (audit trail), newest first."""
    from groundswell.core.db import Database
    from groundswell.crm.matching.merge import merge_log
    from groundswell.settings import get_settings

    db = Database(get_settings())
    try:
        with db.session() as session:
            events = merge_log(session, contact_id=contact, limit=limit)
    finally:
        db.dispose()
    for e in events:
        undone = f" (undone {e.undone_at:%Y-%m-%d %H:%M} by {e.undone_by})" if e.undone_at else ""
        typer.echo(
            f"{e.id} {e.created_at:%Y-%m-%d %H:%M} {e.actor}: {e.merged_contact_id} → "
            f"{e.kept_contact_id} — {e.reason}{undone}"
        )
