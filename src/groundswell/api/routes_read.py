"""Read API over the customer record and the stream, and tracked-subject management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from starlette.responses import Response

from groundswell.api.deps import (
    CSRF_CHECKED,
    ApiUser,
    DatabaseDep,
    SessionDep,
    require_manager,
)
from groundswell.api.params import PathId, QueryId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.crm.read import contact_timeline, get_contact, list_interactions, search_contacts
from groundswell.crm.schemas import (
    ContactDetail,
    ContactSummary,
    InteractionPage,
    SentimentLabel,
    StreamFilter,
    Timeline,
)
from groundswell.crm.visibility import redact
from groundswell.listening.backfill_jobs import JOBS
from groundswell.listening.schemas import SubjectCreate, SubjectRead, SubjectUpdate
from groundswell.listening.service import (
    SubjectQueryError,
    create_subject,
    delete_subject,
    get_subject,
    list_subjects,
    update_subject,
)

router = APIRouter()


SubjectEditor = Annotated[UserRead, require_manager("edit subjects")]
_WRITE = CSRF_CHECKED


def _query_error(exc: SubjectQueryError) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "detail": str(exc),
            "errors": [{"field": "query", "reason": exc.reason, "position": exc.position}],
        },
    )


@router.get(
    "/contacts", summary="Search contacts", response_model=list[ContactSummary], tags=["contacts"]
)
def api_search_contacts(
    session: SessionDep,
    _: ApiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ContactSummary]:
    """Contacts whose name, email, phone or handle contains ``q``."""
    return search_contacts(session, q=q, limit=limit)


@router.get(
    "/contacts/{contact_id}",
    summary="Get a contact",
    response_model=ContactDetail,
    tags=["contacts"],
)
def api_get_contact(session: SessionDep, _: ApiUser, contact_id: PathId) -> ContactDetail:
    """A contact with identities (and why each is linked) and exact keys."""
    return get_contact(session, contact_id=contact_id)


@router.get(
    "/contacts/{contact_id}/timeline",
    summary="A contact's timeline",
    response_model=Timeline,
    tags=["contacts"],
)
def api_contact_timeline(
    session: SessionDep,
    user: ApiUser,
    contact_id: PathId,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Timeline:
    """Every interaction of the contact across channels (a merged contact's too), newest
    first; the text of private messages is withheld from roles not allowed to read it."""
    timeline = contact_timeline(session, contact_id=contact_id, limit=limit)
    return timeline.model_copy(update={"items": redact(timeline.items, role=user.role)})


@router.get(
    "/interactions",
    summary="List interactions",
    response_model=InteractionPage,
    tags=["interactions"],
)
def api_list_interactions(
    session: SessionDep,
    user: ApiUser,
    subject_id: QueryId = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    sentiment: SentimentLabel | None = None,
    after_id: Annotated[
        int | None, Query(ge=0, le=MAX_INT64, description="only posts newer than this id")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[1-9][0-9]{0,17}$", description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> InteractionPage:
    """Posts newest first, filtered; page with ``cursor``, or poll with ``after_id``."""
    filters = StreamFilter(
        subject_id=subject_id,
        channel=channel,
        sentiment=sentiment,
        after_id=after_id,
        before_id=int(cursor) if cursor else None,
        limit=limit,
    )
    page = list_interactions(session, filters=filters)
    return page.model_copy(update={"items": redact(page.items, role=user.role)})


@router.get(
    "/subjects", summary="List subjects", response_model=list[SubjectRead], tags=["subjects"]
)
def api_list_subjects(session: SessionDep, _: ApiUser) -> list[SubjectRead]:
    return list_subjects(session)


@router.get(
    "/subjects/{subject_id}", summary="Get a subject", response_model=SubjectRead, tags=["subjects"]
)
def api_get_subject(session: SessionDep, _: ApiUser, subject_id: PathId) -> SubjectRead:
    return get_subject(session, subject_id=subject_id)


@router.post(
    "/subjects",
    summary="Create a subject",
    response_model=SubjectRead,
    status_code=status.HTTP_201_CREATED,
    tags=["subjects"],
    dependencies=_WRITE,
)
def api_create_subject(
    session: SessionDep, db: DatabaseDep, _: SubjectEditor, data: SubjectCreate
) -> SubjectRead | JSONResponse:
    """Create a subject; an unparsable query is a 422 naming the position of the fault.

    Stored posts are matched in the background (progress: ``GET …/backfill``)."""
    try:
        subject = create_subject(session, data=data)
    except SubjectQueryError as exc:
        return _query_error(exc)
    session.commit()
    JOBS.start(db, subject.id)
    return subject


@router.patch(
    "/subjects/{subject_id}",
    summary="Change a subject",
    response_model=SubjectRead,
    tags=["subjects"],
    dependencies=_WRITE,
)
def api_update_subject(
    session: SessionDep, db: DatabaseDep, _: SubjectEditor, subject_id: PathId, data: SubjectUpdate
) -> SubjectRead | JSONResponse:
    """A changed query re-matches stored posts in the background."""
    previous = get_subject(session, subject_id=subject_id).query
    try:
        subject = update_subject(session, subject_id=subject_id, data=data)
    except SubjectQueryError as exc:
        return _query_error(exc)
    session.commit()
    if subject.query != previous:
        JOBS.start(db, subject.id)
    return subject


@router.delete(
    "/subjects/{subject_id}",
    summary="Delete a subject",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["subjects"],
    dependencies=_WRITE,
)
def api_delete_subject(session: SessionDep, _: SubjectEditor, subject_id: PathId) -> Response:
    delete_subject(session, subject_id=subject_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
