"""``/api/v1`` routes for identity resolution: candidates, decisions, merges, the log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep, get_app_settings
from groundswell.api.params import PathId
from groundswell.core.bounds import MAX_INT64
from groundswell.crm.matching.merge import MergeConflictError, merge_contacts, merge_log, unmerge
from groundswell.crm.matching.schemas import CandidateRead, MatchReport, MergeEventRead
from groundswell.crm.matching.service import (
    confirm_candidate,
    match_pending,
    reject_candidate,
    rerun_all,
    review_queue,
)
from groundswell.settings import Settings

router = APIRouter(tags=["identity resolution"])


class MergeRequest(BaseModel):
    kept_contact_id: int = Field(ge=1, le=MAX_INT64)
    merged_contact_id: int = Field(ge=1, le=MAX_INT64)
    reason: str = Field(default="merged by hand", min_length=1, max_length=500)


def _conflict(exc: MergeConflictError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@router.get("/identity/candidates", summary="The review queue", response_model=list[CandidateRead])
def api_candidates(
    session: SessionDep,
    _: ApiUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CandidateRead]:
    """Pending pairs with their probability and per-field evidence, most probable first."""
    return review_queue(session, limit=limit, offset=offset)


@router.post(
    "/identity/candidates/{candidate_id}/confirm",
    summary="Same person: merge",
    response_model=list[MergeEventRead],
    dependencies=CSRF_CHECKED,
)
def api_confirm(session: SessionDep, user: ApiUser, candidate_id: PathId) -> list[MergeEventRead]:
    try:
        event_id = confirm_candidate(session, candidate_id=candidate_id, actor=f"user:{user.email}")
    except MergeConflictError as exc:
        session.rollback()
        raise _conflict(exc) from exc
    session.commit()
    return [e for e in merge_log(session, limit=50) if e.id == event_id]


@router.post(
    "/identity/candidates/{candidate_id}/reject",
    summary="Not the same person (remembered)",
    response_model=CandidateRead,
    dependencies=CSRF_CHECKED,
)
def api_reject(session: SessionDep, user: ApiUser, candidate_id: PathId) -> CandidateRead:
    done = reject_candidate(session, candidate_id=candidate_id, actor=f"user:{user.email}")
    session.commit()
    return done


@router.post(
    "/identity/merges",
    summary="Merge two contacts",
    response_model=MergeEventRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=CSRF_CHECKED,
)
def api_merge(session: SessionDep, user: ApiUser, data: MergeRequest) -> MergeEventRead:
    """409 when a concurrent merge or unmerge changed either contact: nothing is done."""
    try:
        event = merge_contacts(
            session,
            kept_id=data.kept_contact_id,
            merged_id=data.merged_contact_id,
            actor=f"user:{user.email}",
            reason=data.reason,
        )
    except MergeConflictError as exc:
        session.rollback()
        raise _conflict(exc) from exc
    session.commit()
    return event


@router.post(
    "/identity/merges/{event_id}/unmerge",
    summary="Undo a merge",
    response_model=MergeEventRead,
    dependencies=CSRF_CHECKED,
)
def api_unmerge(session: SessionDep, user: ApiUser, event_id: PathId) -> MergeEventRead:
    try:
        event = unmerge(session, event_id=event_id, actor=f"user:{user.email}")
    except MergeConflictError as exc:
        session.rollback()
        raise _conflict(exc) from exc
    session.commit()
    return event


@router.get("/identity/merges", summary="The merge log", response_model=list[MergeEventRead])
def api_merge_log(
    session: SessionDep,
    _: ApiUser,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_INT64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MergeEventRead]:
    return merge_log(session, contact_id=contact_id, limit=limit)


@router.post(
    "/identity/match",
    summary="Match new contacts now (or all)",
    response_model=MatchReport,
    dependencies=CSRF_CHECKED,
)
def api_match(
    session: SessionDep,
    _: ApiUser,
    settings: Annotated[Settings, Depends(get_app_settings)],
    all_contacts: Annotated[bool, Query(alias="all")] = False,
) -> MatchReport:
    thresholds = {
        "auto_threshold": settings.identity_auto_merge_threshold,
        "review_threshold": settings.identity_review_threshold,
    }
    run = rerun_all if all_contacts else match_pending
    report = run(session, **thresholds)
    session.commit()
    return report
