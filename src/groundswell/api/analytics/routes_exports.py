"""Lists as CSV, streamed, any size: cases (the inbox), contacts, alerts, posts and leads.

Every export is written to the audit log (who took which list, with its filters) in the
request's transaction, before the first row streams.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from groundswell.analytics import exports
from groundswell.api.analytics.deps import TeamReader
from groundswell.api.csv_response import csv_response
from groundswell.api.deps import DatabaseDep, SessionDep
from groundswell.api.params import QueryId
from groundswell.api.routes_admin import actor_of
from groundswell.auth.audit import record
from groundswell.auth.schemas import UserRead
from groundswell.core.clock import to_utc
from groundswell.core.errors import InvalidInputError
from groundswell.crm.visibility import may_see_private

router = APIRouter(prefix="/exports", tags=["exports"])


def _audit(
    request: Request, session: SessionDep, user: UserRead, what: str, **filters: object
) -> None:
    details = {k: v for k, v in filters.items() if v is not None}
    record(
        session,
        actor=actor_of(request, user),
        action=f"export.{what}",
        target_type="export",
        target=f"{what}.csv",
        details={k: str(v) for k, v in details.items()},
    )


def _utc(moment: datetime | None, field: str) -> datetime | None:
    """A time without a zone is read as UTC, as everywhere in the API."""
    try:
        return to_utc(moment) if moment is not None else None
    except OverflowError:
        raise InvalidInputError("is out of range", field=field) from None


@router.get("/cases.csv", summary="Cases as CSV", response_class=StreamingResponse)
def api_cases_csv(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    user: TeamReader,
    status: Literal["new", "open", "pending", "resolved", "closed", "active"] | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    queue_id: QueryId = None,
) -> StreamingResponse:
    _audit(request, session, user, "cases", status=status, channel=channel, queue_id=queue_id)
    return csv_response(
        db,
        "cases.csv",
        exports.CASE_HEADER,
        lambda s: exports.case_rows(s, status=status, channel=channel, queue_id=queue_id),
    )


@router.get("/contacts.csv", summary="Contacts as CSV", response_class=StreamingResponse)
def api_contacts_csv(
    request: Request, session: SessionDep, db: DatabaseDep, user: TeamReader
) -> StreamingResponse:
    _audit(request, session, user, "contacts")
    return csv_response(db, "contacts.csv", exports.CONTACT_HEADER, exports.contact_rows)


@router.get("/alerts.csv", summary="Spike alerts as CSV", response_class=StreamingResponse)
def api_alerts_csv(
    request: Request, session: SessionDep, db: DatabaseDep, user: TeamReader
) -> StreamingResponse:
    _audit(request, session, user, "alerts")
    return csv_response(db, "alerts.csv", exports.ALERT_HEADER, exports.alert_rows)


@router.get("/posts.csv", summary="Stored posts as CSV", response_class=StreamingResponse)
def api_posts_csv(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    user: TeamReader,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    """Private messages' text only for roles that may see private data."""
    since, until = _utc(since, "since"), _utc(until, "until")
    if since is not None and until is not None and until <= since:
        raise InvalidInputError("until must be after since", field="until")
    _audit(request, session, user, "posts", channel=channel, since=since, until=until)
    private = may_see_private(user.role)
    return csv_response(
        db,
        "posts.csv",
        exports.POST_HEADER,
        lambda s: exports.post_rows(
            s, with_private_text=private, channel=channel, since=since, until=until
        ),
    )


@router.get("/leads.csv", summary="Leads as CSV", response_class=StreamingResponse)
def api_leads_csv(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    user: TeamReader,
    status: Literal["new", "contacted", "qualified", "lost"] | None = None,
) -> StreamingResponse:
    _audit(request, session, user, "leads", status=status)
    private = may_see_private(user.role)
    return csv_response(
        db,
        "leads.csv",
        exports.LEAD_HEADER,
        lambda s: exports.lead_rows(s, with_private_text=private, status=status),
    )
