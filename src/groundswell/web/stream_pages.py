"""The live stream: newest posts with filters, and the partial HTMX polls every 2 s."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import Offset
from groundswell.core.bounds import parse_id
from groundswell.crm.read import list_channels, list_interactions
from groundswell.crm.schemas import StreamFilter
from groundswell.crm.visibility import redact
from groundswell.listening.service import list_subjects
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
POLL_LIMIT = 100
SENTIMENTS = ("negative", "neutral", "positive")


def _filters(
    subject: str | None, channel: str | None, sentiment: str | None, **cursor: int | None
) -> StreamFilter:
    """Read filters from a query string leniently: a blank or stale choice means 'any'.

    The values come from the page's own select boxes, so a bad one is a stale bookmark,
    not an attack worth an error page.
    """
    subject_id = parse_id(subject, minimum=0)
    channel_key = channel.strip()[:64] if channel and channel.strip() else None
    label = sentiment if sentiment in SENTIMENTS else None
    return StreamFilter.model_validate(
        {"subject_id": subject_id, "channel": channel_key, "sentiment": label, **cursor}
    )


def _filter_query(f: StreamFilter) -> dict[str, str]:
    query = {}
    if f.subject_id is not None:
        query["subject"] = str(f.subject_id)
    if f.channel:
        query["channel"] = f.channel
    if f.sentiment:
        query["sentiment"] = f.sentiment
    return query


def _poll_url(f: StreamFilter, after_id: int) -> str:
    return "/stream/poll?" + urlencode({**_filter_query(f), "after_id": str(after_id)})


@router.get("/", response_class=HTMLResponse)
@router.get("/stream", response_class=HTMLResponse)
def stream_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    subject: str | None = None,
    channel: str | None = None,
    sentiment: str | None = None,
    before: str | None = None,
) -> Response:
    before_id = parse_id(before)
    filters = _filters(subject, channel, sentiment, before_id=before_id, limit=PAGE_SIZE)
    page = list_interactions(session, filters=filters)
    last_id = page.items[0].id if page.items else 0
    older = None
    if page.next_cursor:
        older = "/stream?" + urlencode({**_filter_query(filters), "before": page.next_cursor})
    return render(
        request,
        "stream.html",
        {
            "active": "stream",
            "posts": redact(page.items, role=user.role),
            "filters": filters,
            "subjects": list_subjects(session),
            "channels": list_channels(session),
            "sentiments": SENTIMENTS,
            # Only the newest page is live; an older page stays still while it is read.
            "poll_url": _poll_url(filters, last_id) if before_id is None else None,
            "older_url": older,
        },
        user=user,
    )


@router.get("/stream/poll", response_class=HTMLResponse)
def stream_poll(
    request: Request,
    session: SessionDep,
    user: WebUser,
    after_id: Offset = 0,
    subject: str | None = None,
    channel: str | None = None,
    sentiment: str | None = None,
) -> Response:
    """Posts newer than ``after_id``; 204 (nothing to swap) when there are none.

    The answer carries a new poller pointing past the newest post, swapped in out of
    band, so the next poll asks only for what arrived since.
    """
    filters = _filters(subject, channel, sentiment, after_id=max(after_id, 0), limit=POLL_LIMIT)
    page = list_interactions(session, filters=filters)
    if not page.items:
        return Response(status_code=204)
    return render(
        request,
        "_stream_poll.html",
        {
            "posts": redact(page.items, role=user.role),
            "poll_url": _poll_url(filters, page.items[0].id),
        },
        user=user,
    )
