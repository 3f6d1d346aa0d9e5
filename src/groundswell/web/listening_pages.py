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

from fastapi import APIRouter, Form, Query, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import parse_id
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.read import list_channels
from groundswell.listening.backfill_jobs import JOBS, BackfillStatus
from groundswell.listening.models import ALL_POSTS
from groundswell.listening.series_schemas import (
    MAX_BUCKETS,
    RESOLUTIONS,
    SeriesWindow,
    parse_instant,
)
from groundswell.listening.service import list_subjects
from groundswell.listening.views import ViewIn, delete_view, list_views, save_view
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

RANGES: dict[str, tuple[int, str]] = {
    "1h": (3600, "1m"),
    "6h": (6 * 3600, "1m"),
    "24h": (86400, "5m"),
    "7d": (7 * 86400, "1h"),
}
"""Range presets: seconds back from now and the resolution they open with: a few hundred
points each (a day of minutes is 1,440 bars of 0 to 3 posts for most subjects, and a
net sentiment that swings between −1 and +1 with every post)."""


def _choice(value: str | None, allowed: dict[str, Any], default: str) -> str:
    """Query-string choices from the page's own controls: a stale one means the default."""
    return value if value in allowed else default


Bounded = Annotated[str | None, Query(max_length=40)]
AUTO_POINTS = 400
"""A custom range opens with the finest resolution that gives at most this many buckets."""


def _custom_range(
    start: str | None, end: str | None, resolution: str | None
) -> tuple[SeriesWindow | None, str | None]:
    """A custom range from the page's two date-time fields (UTC), or the error to show.

    The resolution asked for (a resolution link on a custom range) is kept when it fits
    the chart's bucket cap; the range form sends none, and gets the finest resolution
    with at most ``AUTO_POINTS`` buckets; otherwise the finest one that fits the cap is
    taken, so any range up to the cap opens without an error.
    """
    if not start and not end:
        return None, None
    try:
        first = parse_instant(start or "", field="start")
        last = parse_instant(end or "", field="end")
        span = (last - first).total_seconds()
        readable = [r for r, width in RESOLUTIONS.items() if span / width <= AUTO_POINTS]
        wanted = [resolution] if resolution in RESOLUTIONS else readable[:1]
        for res in [*wanted, *RESOLUTIONS]:
            try:
                return SeriesWindow.build(start=first, end=last, resolution=res), None
            except InvalidInputError as exc:
                if exc.field != "end" or "too large" not in str(exc):
                    raise
        raise InvalidInputError("range too large even at daily resolution", field="end")
    except InvalidInputError as exc:
        return None, f"{exc.field}: {exc}"


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/listening", response_class=HTMLResponse)
def listening_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    subject: Bounded = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    range_: Annotated[str | None, Query(alias="range", max_length=16)] = None,
    res: Annotated[str | None, Query(max_length=4)] = None,
    start: Bounded = None,
    end: Bounded = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    subjects = list_subjects(session)
    channels = list_channels(session)
    ids = {s.id for s in subjects}
    if (chosen := parse_id(subject, minimum=0)) is not None and chosen in ids | {ALL_POSTS}:
        subject_id = chosen
    else:
        subject_id = subjects[0].id if subjects else ALL_POSTS
    custom, range_error = _custom_range(start, end, res) if range_ == "custom" else (None, None)
    resolution: str
    if custom is not None:
        range_key, resolution = "custom", str(custom.resolution)
        window_start, window_end = custom.start, custom.end
        seconds = int((window_end - window_start).total_seconds())
    else:
        range_key = _choice(range_, RANGES, "24h")
        resolution = _choice(res, RESOLUTIONS, RANGES[range_key][1])
        seconds = RANGES[range_key][0]
        window_end = utcnow()
        window_start = window_end - timedelta(seconds=seconds)
    channel_key = channel if channel in {c.key for c in channels} else None

    def link(**changes: str | None) -> str:
        params = {
            "subject": str(subject_id),
            "channel": channel_key,
            "range": range_key,
            "res": resolution,
        }
        if custom is not None:
            params["start"] = window_start.strftime("%Y-%m-%dT%H:%M")
            params["end"] = window_end.strftime("%Y-%m-%dT%H:%M")
        params.update(changes)
        if params.get("range") != "custom":
            params.pop("start", None)
            params.pop("end", None)
        return "/listening?" + urlencode({k: v for k, v in params.items() if v})

    views = list_views(session, user_id=user.id)
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
            "custom": custom,
            "custom_start": window_start.strftime("%Y-%m-%dT%H:%M"),
            "custom_end": window_end.strftime("%Y-%m-%dT%H:%M"),
            "range_error": range_error or error,
            "views": [(v, "/listening?" + urlencode(v.params())) for v in views],
            "csv_url": f"/api/v1/subjects/{subject_id}/series.csv?"
            + urlencode(
                {
                    k: v
                    for k, v in {
                        "start": window_start.isoformat(),
                        "end": window_end.isoformat() if custom is not None else None,
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


Field40 = Annotated[str, Form(max_length=40)]


@router.post("/listening/views", dependencies=[Csrf])
def listening_view_save(
    session: SessionDep,
    user: WebUser,
    name: Annotated[str, Form(max_length=80)] = "",
    subject: Field40 = "0",
    channel: Annotated[str, Form(max_length=64)] = "",
    range_: Annotated[str, Form(alias="range", max_length=16)] = "24h",
    res: Annotated[str, Form(max_length=4)] = "1m",
    start: Field40 = "",
    end: Field40 = "",
) -> Response:
    """Save the view on screen under a name; a name already used is replaced."""
    back = {"subject": subject, "channel": channel, "range": range_, "res": res}
    if range_ == "custom":
        back |= {"start": start, "end": end}
    try:
        data = ViewIn.model_validate(
            {
                "name": name,
                "subject_id": parse_id(subject, minimum=0) or 0,
                "channel": channel or None,
                "range_key": range_,
                "resolution": res,
                "start": parse_instant(start, field="start") if range_ == "custom" else None,
                "end": parse_instant(end, field="end") if range_ == "custom" else None,
            }
        )
        view = save_view(session, user_id=user.id, data=data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "view"
        back["error"] = f"saved view {field}: {first['msg']}"[:200]
        return RedirectResponse("/listening?" + urlencode(back), status.HTTP_303_SEE_OTHER)
    except InvalidInputError as exc:
        back["error"] = f"saved view {exc.field or 'view'}: {exc}"[:200]
        return RedirectResponse("/listening?" + urlencode(back), status.HTTP_303_SEE_OTHER)
    session.commit()
    return RedirectResponse("/listening?" + urlencode(view.params()), status.HTTP_303_SEE_OTHER)


@router.post("/listening/views/{view_id}/delete", dependencies=[Csrf])
def listening_view_delete(session: SessionDep, user: WebUser, view_id: PathId) -> Response:
    """Delete one of the user's own saved views."""
    try:
        delete_view(session, user_id=user.id, view_id=view_id)
    except NotFoundError:
        return RedirectResponse(
            "/listening?" + urlencode({"error": f"no saved view #{view_id}"}),
            status.HTTP_303_SEE_OTHER,
        )
    session.commit()
    return RedirectResponse("/listening", status.HTTP_303_SEE_OTHER)


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
