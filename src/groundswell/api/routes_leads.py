"""``/api/v1`` routes for sales leads made from purchase-intent posts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep
from groundswell.api.engagement.deps import Worker
from groundswell.api.params import Offset, PathId, QueryId
from groundswell.core.bounds import MAX_INT64
from groundswell.crm.leads import LeadRead, get_lead, list_leads, update_lead

router = APIRouter(tags=["leads"])


class LeadChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "contacted", "qualified", "lost"] | None = None
    owner_id: int | None = Field(default=None, ge=1, le=MAX_INT64)
    clear_owner: bool = False


@router.get("/leads", summary="Leads, newest first", response_model=list[LeadRead])
def api_leads(
    session: SessionDep,
    user: ApiUser,
    status: Literal["new", "contacted", "qualified", "lost"] | None = None,
    owner_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[LeadRead]:
    """The post's text is withheld for roles that may not read private messages."""
    return list_leads(
        session, role=user.role, status=status, owner_id=owner_id, limit=limit, offset=offset
    )


@router.get("/leads/{lead_id}", summary="One lead", response_model=LeadRead)
def api_lead(session: SessionDep, user: ApiUser, lead_id: PathId) -> LeadRead:
    return get_lead(session, lead_id=lead_id, role=user.role)


@router.patch(
    "/leads/{lead_id}",
    summary="Change a lead's status or owner",
    response_model=LeadRead,
    dependencies=CSRF_CHECKED,
)
def api_update_lead(
    session: SessionDep, user: Worker, lead_id: PathId, body: LeadChange
) -> LeadRead:
    """Agents, leads and admins work leads; the owner must be an active user."""
    done = update_lead(
        session,
        lead_id=lead_id,
        status=body.status,
        owner_id=body.owner_id,
        clear_owner=body.clear_owner,
        role=user.role,
    )
    session.commit()
    return done
