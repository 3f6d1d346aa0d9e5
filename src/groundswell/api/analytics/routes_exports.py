"""Lists as CSV, streamed: the cases (the inbox) and the contacts, any size."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from groundswell.analytics import exports
from groundswell.api.analytics.deps import TeamReader
from groundswell.api.csv_response import csv_response
from groundswell.api.deps import DatabaseDep
from groundswell.api.params import QueryId

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get("/cases.csv", summary="Cases as CSV", response_class=StreamingResponse)
def api_cases_csv(
    db: DatabaseDep,
    _: TeamReader,
    status: Literal["new", "open", "pending", "resolved", "closed", "active"] | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    queue_id: QueryId = None,
) -> StreamingResponse:
    return csv_response(
        db,
        "cases.csv",
        exports.CASE_HEADER,
        lambda s: exports.case_rows(s, status=status, channel=channel, queue_id=queue_id),
    )


@router.get("/contacts.csv", summary="Contacts as CSV", response_class=StreamingResponse)
def api_contacts_csv(db: DatabaseDep, _: TeamReader) -> StreamingResponse:
    return csv_response(db, "contacts.csv", exports.CONTACT_HEADER, exports.contact_rows)
