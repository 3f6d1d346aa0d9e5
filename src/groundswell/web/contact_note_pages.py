"""Forms on the contact page: add or remove a tag, write a note. Each redirects back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from starlette.responses import RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import MAX_INT64
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.consent import record_consent
from groundswell.crm.models import Identity
from groundswell.crm.notes import add_note, add_tag, remove_tag
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def _back(contact_id: int) -> RedirectResponse:
    return RedirectResponse(f"/contacts/{contact_id}", status_code=status.HTTP_303_SEE_OTHER)


def _refused(request: Request, user: WebUser, exc: Exception, code: int) -> Response:
    return render(
        request,
        "error.html",
        {"active": "contacts", "title": "Not saved", "message": str(exc)},
        user=user,
        status_code=code,
    )


@router.post("/contacts/{contact_id}/tags", dependencies=[Csrf])
def tag_add(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    tag: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        add_tag(session, contact_id=contact_id, tag=tag, actor=f"user:{user.email}")
    except NotFoundError as exc:
        return _refused(request, user, exc, 404)
    except InvalidInputError as exc:
        return _refused(request, user, exc, 422)
    session.commit()
    return _back(contact_id)


@router.post("/contacts/{contact_id}/tags/remove", dependencies=[Csrf])
def tag_remove(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    tag: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        remove_tag(session, contact_id=contact_id, tag=tag)
    except NotFoundError as exc:
        return _refused(request, user, exc, 404)
    except InvalidInputError as exc:
        return _refused(request, user, exc, 422)
    session.commit()
    return _back(contact_id)


@router.post("/contacts/{contact_id}/notes", dependencies=[Csrf])
def note_add(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    text: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        add_note(session, contact_id=contact_id, text=text, actor=f"user:{user.email}")
    except NotFoundError as exc:
        return _refused(request, user, exc, 404)
    except InvalidInputError as exc:
        return _refused(request, user, exc, 422)
    session.commit()
    return _back(contact_id)


@router.post("/contacts/{contact_id}/consents", dependencies=[Csrf])
def consent_add(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    identity_id: Annotated[int, Form(ge=1, le=MAX_INT64)],
    purpose: Annotated[str, Form(max_length=20)] = "",
    granted: Annotated[str, Form(max_length=5)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    identity = session.get(Identity, identity_id)
    if identity is None or identity.contact_id != contact_id:
        return _refused(request, user, NotFoundError("identity of this contact", identity_id), 404)
    if granted not in ("yes", "no"):
        return _refused(request, user, InvalidInputError("consent is given or withdrawn"), 422)
    try:
        record_consent(
            session,
            identity_id=identity_id,
            purpose=purpose,
            granted=granted == "yes",
            source=f"{source.strip()} (recorded by {user.email})" if source.strip() else "",
        )
    except InvalidInputError as exc:
        return _refused(request, user, exc, 422)
    session.commit()
    return _back(contact_id)
