"""``/api/v1`` routes for one person's data: export (JSON) and erase; both logged."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from groundswell.api.deps import CSRF_CHECKED, SessionDep, require_manager
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.crm.privacy import erase_person, export_person

router = APIRouter(tags=["privacy"])

PrivacyOfficer = Annotated[UserRead, require_manager("export or erase a person's data")]


@router.get("/contacts/{contact_id}/export", summary="Export one person's data")
def api_export(session: SessionDep, user: PrivacyOfficer, contact_id: PathId) -> dict[str, Any]:
    """Every row about the contact (and contacts merged into it), by table, as JSON."""
    data = export_person(session, contact_id=contact_id, actor=f"user:{user.email}")
    session.commit()
    return data


@router.post(
    "/contacts/{contact_id}/erase",
    summary="Erase one person's data",
    dependencies=CSRF_CHECKED,
)
def api_erase(session: SessionDep, user: PrivacyOfficer, contact_id: PathId) -> dict[str, int]:
    """Deletes the person everywhere (raw payloads and dead letters included); returns
    rows deleted per table. Aggregate counts (rollups) are kept."""
    counts = erase_person(session, contact_id=contact_id, actor=f"user:{user.email}")
    session.commit()
    return counts
