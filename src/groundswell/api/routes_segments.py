"""``/api/v1`` routes for segments (saved contact filters) and their CSV export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from starlette.responses import Response, StreamingResponse

from groundswell.api.deps import (
    CSRF_CHECKED,
    ApiUser,
    DatabaseDep,
    SessionDep,
    require_manager,
)
from groundswell.api.params import PathId
from groundswell.crm.contact_list import ContactPage, list_contacts
from groundswell.crm.segments import (
    SegmentIn,
    SegmentRead,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    segment_members,
    stream_export,
    update_segment,
)

router = APIRouter(tags=["segments"])
Editor = require_manager("create, change or delete segments")


@router.get("/segments", summary="Saved segments", response_model=list[SegmentRead])
def api_segments(session: SessionDep, _: ApiUser) -> list[SegmentRead]:
    return list_segments(session)


@router.post(
    "/segments",
    summary="Save a segment",
    response_model=SegmentRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[*CSRF_CHECKED, Editor],
)
def api_create_segment(session: SessionDep, user: ApiUser, body: SegmentIn) -> SegmentRead:
    """The filter is validated with bounds; an unknown key or bad range is a 422."""
    made = create_segment(session, data=body, owner_id=user.id)
    session.commit()
    return made


@router.get("/segments/{segment_id}", summary="One segment", response_model=SegmentRead)
def api_segment(session: SessionDep, _: ApiUser, segment_id: PathId) -> SegmentRead:
    return get_segment(session, segment_id=segment_id)


@router.put(
    "/segments/{segment_id}",
    summary="Change a segment",
    response_model=SegmentRead,
    dependencies=[*CSRF_CHECKED, Editor],
)
def api_update_segment(
    session: SessionDep, _: ApiUser, segment_id: PathId, body: SegmentIn
) -> SegmentRead:
    done = update_segment(session, segment_id=segment_id, data=body)
    session.commit()
    return done


@router.delete(
    "/segments/{segment_id}",
    summary="Delete a segment",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[*CSRF_CHECKED, Editor],
)
def api_delete_segment(session: SessionDep, _: ApiUser, segment_id: PathId) -> Response:
    delete_segment(session, segment_id=segment_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/segments/{segment_id}/contacts",
    summary="The segment's contacts, paged",
    response_model=ContactPage,
)
def api_segment_contacts(
    session: SessionDep,
    _: ApiUser,
    segment_id: PathId,
    sort: Annotated[Literal["name", "value", "last_touch", "sentiment"], Query()] = "last_touch",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ContactPage:
    return list_contacts(
        session,
        sort=sort,
        descending=order == "desc",
        page=page,
        page_size=page_size,
        members=segment_members(session, segment_id=segment_id),
    )


@router.get(
    "/segments/{segment_id}/export.csv",
    summary="The segment's contacts as CSV (streamed)",
    response_class=StreamingResponse,
)
def api_segment_export(
    session: SessionDep, db: DatabaseDep, _: ApiUser, segment_id: PathId
) -> Response:
    """Cells that a spreadsheet would read as a formula are prefixed with ``'``."""
    segment = get_segment(session, segment_id=segment_id)
    return StreamingResponse(
        stream_export(db, segment_id=segment.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="segment-{segment.id}.csv"'},
    )
