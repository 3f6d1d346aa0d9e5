"""Export and erase from the contact page, for admins and analysts; both logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import JSONResponse
from starlette.responses import RedirectResponse, Response

from groundswell.api.deps import SessionDep
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


def _allowed(user: WebUser) -> bool:
    return user.role in ("admin", "analyst")


@router.get("/contacts/{contact_id}/export.json")
def export_download(
    request: Request, session: SessionDep, user: WebUser, contact_id: int
) -> Response:
    if not _allowed(user):
        return _refused(request, user, "Only admins and analysts export a person's data.", 403)
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
    user: WebUser,
    contact_id: int,
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if not _allowed(user):
        return _refused(request, user, "Only admins and analysts erase a person's data.", 403)
    if confirm != "erase":
        return _refused(request, user, "Type “erase” to confirm; nothing was deleted.", 422)
    try:
        erase_person(session, contact_id=contact_id, actor=f"user:{user.email}")
    except NotFoundError:
        return _refused(request, user, f"There is no contact #{contact_id}.", 404)
    session.commit()
    return RedirectResponse("/contacts", status_code=status.HTTP_303_SEE_OTHER)
