"""``groundswell rescore --since …``: re-run enrichment over stored posts.

One command, not a group: the Typer app's callback does the work, so ``groundswell
rescore --since 2024-05-01`` reads like any other command.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Annotated

import typer

from groundswell.core.clock import to_utc

app = typer.Typer(help="Re-run enrichment over stored posts.", add_completion=False)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def parse_when(value: str, option: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC, like every stored time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise _fail(
            f"{option} {value!r} is not an ISO 8601 date or time, e.g. 2024-05-01 or "
            "2024-05-01T12:00:00Z"
        ) from exc
    return to_utc(parsed)


@app.callback(invoke_without_command=True)
def rescore(
    since: Annotated[
        str, typer.Option(help="Posts created at or after this (ISO date or date-time, UTC).")
    ],
    until: Annotated[
        str | None, typer.Option(help="Posts created before this; default: no end.")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Posts per transaction.")
    ] = 500,
    include_corrected: Annotated[
        bool,
        typer.Option(
            "--include-corrected/--skip-corrected",
            help="Also re-score posts people corrected (by default their labels stay).",
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Re-score stored posts with the current model; rollups move with the labels."""
    from tqdm import tqdm

    from groundswell.core.db import Database
    from groundswell.settings import get_settings
    from groundswell.workers.rescore import RescoreRange, count_in_range, run_rescore

    start = parse_when(since, "--since")
    end = parse_when(until, "--until") if until is not None else None
    now = datetime.now(UTC)
    if start > now:
        raise _fail(f"--since {since!r} is in the future; nothing could have been stored yet")
    if end is not None and end <= start:
        raise _fail(f"--until {until!r} must be after --since {since!r}")
    try:
        settings = get_settings()
    except Exception as exc:
        raise _fail(f"invalid configuration: {exc}") from exc
    scope = RescoreRange(
        since=start, until=end, include_corrected=include_corrected, batch_size=batch_size
    )
    db = Database(settings)
    started = time.monotonic()
    try:
        with db.session() as session:
            total = count_in_range(session, scope)
        show = progress and sys.stderr.isatty()
        bar = tqdm(total=total, unit="post", desc="rescore", disable=not show)
        with bar if show else nullcontext():
            report = run_rescore(
                db,
                scope,
                sentiment_mode=settings.sentiment,
                progress=bar.update,
                model_store=settings.model_store_dir,
            )
    finally:
        db.dispose()
    kept = (
        f", {report.kept_corrected} corrected by people kept their labels"
        if report.kept_corrected
        else ""
    )
    typer.echo(
        f"{report.scanned} posts read in {report.batches} batches: {report.changed} changed "
        f"({report.relinked} with other subjects), {report.rollup_cells} rollup rows moved"
        f"{kept} ({time.monotonic() - started:.1f} s)"
    )
