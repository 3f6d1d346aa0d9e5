"""Export and erase from the contact page, for admins and analysts; both logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import JSONResponse
from starlette.responses import RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import NotFoundError
from groundswell.crm.privacy import erase_person, export_person
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def _refused(request: Request, user: WebUser, message: str, code: int) -> Response:
    return render(
        request,
        "error.html",
        {"active": "contacts", "title": "Not allowed", "message": message},
        user=user,
        status_code=code,
    )


def privacy_officer(user: WebUser) -> UserRead:
    """Admins and analysts export or erase a person's data; refused before anything is read."""
    if user.role not in ("admin", "analyst"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Only admins and analysts export or erase a person's data."
        )
    return user


PrivacyOfficer = Annotated[UserRead, Depends(privacy_officer)]


@router.get("/contacts/{contact_id}/export.json")
def export_download(
    request: Request, session: SessionDep, user: PrivacyOfficer, contact_id: PathId
) -> Response:
    try:
        data = export_person(session, contact_id=contact_id, actor=f"user:{user.email}")
    except NotFoundError:
        return _refused(request, user, f"There is no contact #{contact_id}.", 404)
    session.commit()
    return JSONResponse(
        data,
        headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'},
    )


@router.post("/contacts/{contact_id}/erase", dependencies=[Csrf])
def erase(
    request: Request,
    session: SessionDep,
    user: PrivacyOfficer,
    contact_id: PathId,
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if confirm != "erase":
        return _refused(request, user, "Type “erase” to confirm; nothing was deleted.", 422)
    try:
        erase_person(session, contact_id=contact_id, actor=f"user:{user.email}")
    except NotFoundError:
        return _refused(request, user, f"There is no contact #{contact_id}.", 404)
    session.commit()
    return RedirectResponse("/contacts", status_code=status.HTTP_303_SEE_OTHER)
