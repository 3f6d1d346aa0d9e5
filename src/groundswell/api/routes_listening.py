"""``/api/v1`` routes for listening: series, share of voice, subject backfills.

Ranges come as ISO 8601 strings and are parsed here rather than by FastAPI so that every
refusal (malformed, inverted, too large for the resolution) is one 422 naming the
query parameter, in the same shape as the rest of the API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import PlainTextResponse

from groundswell.api.deps import ApiUser, DatabaseDep, SessionDep, browser_csrf
from groundswell.api.params import PathId
from groundswell.api.routes_read import SubjectEditor
from groundswell.core.bounds import Id
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError
from groundswell.listening.backfill_jobs import JOBS, BackfillStatus
from groundswell.listening.models import ALL_POSTS
from groundswell.listening.schemas import SubjectKind
from groundswell.listening.series import share_of_voice, subject_name, subject_series
from groundswell.listening.series_csv import series_csv
from groundswell.listening.series_schemas import (
    Resolution,
    Series,
    SeriesWindow,
    ShareOfVoice,
    parse_instant,
)

router = APIRouter(tags=["listening"])

DEFAULT_RANGE = timedelta(hours=24)
MAX_VOICE_SUBJECTS = 50

StartParam = Annotated[
    str | None,
    Query(max_length=64, description="ISO 8601 instant (UTC if no offset); default end − 24 h"),
]
EndParam = Annotated[
    str | None, Query(max_length=64, description="ISO 8601 instant, exclusive; default now")
]
ResolutionParam = Annotated[
    Resolution, Query(description="Bucket width: 1m, 5m, 1h or 1d (UTC-aligned)")
]
ChannelParam = Annotated[
    str | None, Query(max_length=64, description="Only posts from this channel key")
]


def _prefixed(exc: InvalidInputError) -> InvalidInputError:
    return InvalidInputError(str(exc), field=f"query.{exc.field}" if exc.field else None)


def window_of(start: str | None, end: str | None, resolution: str) -> SeriesWindow:
    """The validated window; a missing end is now, a missing start is 24 h before end."""
    try:
        end_at = parse_instant(end, field="end") if end is not None else utcnow()
        start_at = (
            parse_instant(start, field="start") if start is not None else end_at - DEFAULT_RANGE
        )
        return SeriesWindow.build(start=start_at, end=end_at, resolution=resolution)
    except InvalidInputError as exc:
        raise _prefixed(exc) from None


def _minute_window(start: str | None, end: str | None) -> SeriesWindow | None:
    """The range to the minute, as a minute series counts it; None past its size limit."""
    try:
        return window_of(start, end, "1m")
    except InvalidInputError:
        return None


def _channel(channel: str | None) -> str | None:
    return channel.strip() or None if channel is not None else None


def _series(
    session: SessionDep,
    subject_id: PathId,
    start: str | None,
    end: str | None,
    resolution: str,
    channel: str | None,
) -> Series:
    window = window_of(start, end, resolution)
    try:
        return subject_series(
            session, subject_id=subject_id, window=window, channel=_channel(channel)
        )
    except InvalidInputError as exc:
        raise _prefixed(exc) from None


@router.get("/subjects/{subject_id}/series", summary="A subject's series", response_model=Series)
def api_subject_series(
    session: SessionDep,
    _: ApiUser,
    subject_id: PathId,
    start: StartParam = None,
    end: EndParam = None,
    resolution: ResolutionParam = "1m",
    channel: ChannelParam = None,
) -> Series:
    """Volume by sentiment, net sentiment and mean score per bucket, zero-filled, with the
    spikes the detector marked. Read from per-minute rollups; subject 0 is every post.
    Ranges are limited to 10,080 buckets (a week at 1m, 35 days at 5m, 420 days at 1h)."""
    return _series(session, subject_id, start, end, resolution, channel)


class CsvResponse(PlainTextResponse):
    """CSV, so the description names the type the answer really has."""

    media_type = "text/csv"


@router.get(
    "/subjects/{subject_id}/series.csv",
    summary="A subject's series as CSV",
    response_class=CsvResponse,
)
def api_subject_series_csv(
    session: SessionDep,
    _: ApiUser,
    subject_id: PathId,
    start: StartParam = None,
    end: EndParam = None,
    resolution: ResolutionParam = "1m",
    channel: ChannelParam = None,
) -> CsvResponse:
    """The same buckets as the JSON series (subject 0 is every post), one CSV row each."""
    series = _series(session, subject_id, start, end, resolution, channel)
    return CsvResponse(
        series_csv(series),
        headers={
            "Content-Disposition": f'attachment; filename="series-{subject_id}-{resolution}.csv"'
        },
    )


@router.get("/series/all", summary="The series of every post", response_model=Series)
def api_all_series(
    session: SessionDep,
    _: ApiUser,
    start: StartParam = None,
    end: EndParam = None,
    resolution: ResolutionParam = "1m",
    channel: ChannelParam = None,
) -> Series:
    """The same as a subject's series, over every inbound post whatever it matched."""
    return _series(session, ALL_POSTS, start, end, resolution, channel)


@router.get("/share-of-voice", summary="Share of voice", response_model=ShareOfVoice)
def api_share_of_voice(
    session: SessionDep,
    _: ApiUser,
    start: StartParam = None,
    end: EndParam = None,
    resolution: Annotated[Resolution, Query(description="Bucket width")] = "1h",
    channel: ChannelParam = None,
    subject_ids: Annotated[
        list[Id] | None,
        Query(
            description="Subjects to compare (repeat the parameter); default brands and "
            "competitors, or every active subject when there are none"
        ),
    ] = None,
    kind: Annotated[
        list[SubjectKind] | None, Query(description="Compare the active subjects of these kinds")
    ] = None,
) -> ShareOfVoice:
    """Each subject's volume and share over the range (to the minute, as a subject's Posts
    figure counts it), and its volume per bucket."""
    if subject_ids and len(subject_ids) > MAX_VOICE_SUBJECTS:
        raise InvalidInputError(
            f"at most {MAX_VOICE_SUBJECTS} subjects at once", field="query.subject_ids"
        )
    window = window_of(start, end, resolution)
    try:
        return share_of_voice(
            session,
            window=window,
            subject_ids=subject_ids,
            kinds=kind,
            channel=_channel(channel),
            counted=_minute_window(start, end),
        )
    except InvalidInputError as exc:
        raise _prefixed(exc) from None


@router.post(
    "/subjects/{subject_id}/backfill",
    summary="Re-match a subject over stored posts",
    response_model=BackfillStatus,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(browser_csrf)],
)
def api_start_backfill(
    session: SessionDep, db: DatabaseDep, _: SubjectEditor, subject_id: PathId
) -> BackfillStatus:
    """Start (or restart) the subject's backfill in the background; poll the GET."""
    subject_name(session, subject_id)
    return JOBS.start(db, subject_id)


@router.get(
    "/subjects/{subject_id}/backfill",
    summary="A subject's backfill progress",
    response_model=BackfillStatus,
)
def api_backfill_status(
    session: SessionDep, db: DatabaseDep, _: ApiUser, subject_id: PathId
) -> BackfillStatus:
    """Progress of the latest backfill this server process ran for the subject."""
    subject_name(session, subject_id)
    return JOBS.status(db, subject_id)
