"""The Listening page: a subject's minute series with spikes, and share of voice.

The page is rendered on the server with its controls as plain links and a GET form, so
every view has a URL to share; ``static/listening.js`` then draws the charts from the
JSON API (same origin, session cookie). Backfill progress is a partial that HTMX polls
while a job runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import parse_id
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.read import list_channels
from groundswell.listening.backfill_jobs import JOBS, BackfillStatus
from groundswell.listening.models import ALL_POSTS
from groundswell.listening.series_schemas import MAX_BUCKETS, RESOLUTIONS
from groundswell.listening.service import list_subjects
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

RANGES: dict[str, tuple[int, str]] = {
    "1h": (3600, "1m"),
    "6h": (6 * 3600, "1m"),
    "24h": (86400, "1m"),
    "7d": (7 * 86400, "1h"),
}
"""Range presets: seconds back from now and the resolution they open with."""


def _choice(value: str | None, allowed: dict[str, Any], default: str) -> str:
    """Query-string choices from the page's own controls: a stale one means the default."""
    return value if value in allowed else default


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/listening", response_class=HTMLResponse)
def listening_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    subject: str | None = None,
    channel: str | None = None,
    range_: Annotated[str | None, Query(alias="range")] = None,
    res: str | None = None,
) -> Response:
    subjects = list_subjects(session)
    channels = list_channels(session)
    ids = {s.id for s in subjects}
    if (chosen := parse_id(subject, minimum=0)) is not None and chosen in ids | {ALL_POSTS}:
        subject_id = chosen
    else:
        subject_id = subjects[0].id if subjects else ALL_POSTS
    range_key = _choice(range_, RANGES, "24h")
    resolution = _choice(res, RESOLUTIONS, RANGES[range_key][1])
    channel_key = channel if channel in {c.key for c in channels} else None

    def link(**changes: str | None) -> str:
        params = {
            "subject": str(subject_id),
            "channel": channel_key,
            "range": range_key,
            "res": resolution,
        }
        params.update(changes)
        return "/listening?" + urlencode({k: v for k, v in params.items() if v})

    seconds = RANGES[range_key][0]
    return render(
        request,
        "listening.html",
        {
            "active": "listening",
            "subjects": subjects,
            "channels": channels,
            "subject_id": subject_id,
            "subject_name": next((s.name for s in subjects if s.id == subject_id), "All posts"),
            "channel": channel_key,
            "range_key": range_key,
            "resolution": resolution,
            "ranges": [(key, link(range=key, res=RANGES[key][1])) for key in RANGES],
            "resolutions": [
                (key, link(res=key), seconds // RESOLUTIONS[key] <= MAX_BUCKETS)
                for key in RESOLUTIONS
            ],
            "range_seconds": seconds,
            "csv_url": f"/api/v1/subjects/{subject_id}/series.csv?"
            + urlencode(
                {
                    k: v
                    for k, v in {
                        "start": (utcnow() - timedelta(seconds=seconds)).isoformat(),
                        "resolution": resolution,
                        "channel": channel_key,
                    }.items()
                    if v
                }
            ),
            "backfill": JOBS.status(_db(request), subject_id) if subject_id else None,
        },
        user=user,
    )


@router.get("/listening/backfill/{subject_id}", response_class=HTMLResponse)
def backfill_progress(request: Request, user: WebUser, subject_id: PathId) -> Response:
    """The progress bar of a subject's backfill; it stops polling once the job ends."""
    status = JOBS.status(_db(request), subject_id)
    return render(request, "_backfill_progress.html", {"backfill": status}, user=user)


@router.get("/listening/backfills", response_class=HTMLResponse)
def running_backfills(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Every backfill still running in this process, for the subjects list."""
    running: list[BackfillStatus] = JOBS.running(_db(request))
    names = {s.id: s.name for s in list_subjects(session)}
    return render(
        request,
        "_backfills_running.html",
        {"running": [(names.get(b.subject_id, f"#{b.subject_id}"), b) for b in running]},
        user=user,
    )
