"""Tracked subjects: list for everyone; create, edit and delete for admins and analysts."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.backfill_jobs import JOBS
from groundswell.listening.schemas import SUBJECT_KINDS, SubjectCreate, SubjectUpdate
from groundswell.listening.service import (
    SubjectQueryError,
    create_subject,
    delete_subject,
    get_subject,
    list_subjects,
    update_subject,
)
from groundswell.web.deps import Csrf, SubjectEditor, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form(max_length=10_000)]


def caret_at(query: str, position: int) -> dict[str, Any]:
    """The line of ``query`` holding ``position`` and the column to put a caret under."""
    position = max(0, min(position, len(query)))
    start = query.rfind("\n", 0, position) + 1
    end = query.find("\n", position)
    line = query[start : end if end != -1 else len(query)]
    return {"line": line, "column": position - start, "padding": " " * (position - start)}


def _errors(exc: Exception) -> tuple[dict[str, str], dict[str, Any] | None, str | None]:
    """Field messages, the caret for a query error, and a message for the whole form."""
    if isinstance(exc, SubjectQueryError):
        return {"query": exc.reason}, {"position": exc.position}, None
    if isinstance(exc, InvalidInputError):
        return {exc.field or "form": str(exc)}, None, None
    if isinstance(exc, ValidationError):
        fields: dict[str, str] = {}
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else "form"
            fields.setdefault(loc, err["msg"])
        return fields, None, None
    return {}, None, str(exc)


def _page(
    request: Request,
    session: SessionDep,
    user: UserRead,
    *,
    template: str,
    values: dict[str, Any],
    exc: Exception | None = None,
    subject_id: int | None = None,
) -> Response:
    """Render the list (with its create form) or the edit form, with any errors."""
    fields, caret, message = _errors(exc) if exc else ({}, None, None)
    if caret is not None:
        caret = caret_at(str(values.get("query", "")), int(caret["position"]))
    context: dict[str, Any] = {
        "active": "subjects",
        "values": values,
        "errors": fields,
        "caret": caret,
        "message": message,
        "kinds": SUBJECT_KINDS,
        "subject_id": subject_id,
    }
    if template == "subjects.html":
        context["subjects"] = list_subjects(session)
    return render(request, template, context, user=user, status_code=422 if exc else 200)


@router.get("/subjects", response_class=HTMLResponse)
def subjects_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    values = {"name": "", "kind": "topic", "query": ""}
    return _page(request, session, user, template="subjects.html", values=values)


@router.post("/subjects", response_class=HTMLResponse, dependencies=[Csrf])
def subjects_create(
    request: Request,
    session: SessionDep,
    user: SubjectEditor,
    name: FormStr = "",
    kind: FormStr = "topic",
    query: FormStr = "",
) -> Response:
    values = {"name": name, "kind": kind, "query": query}
    try:
        created = create_subject(session, data=SubjectCreate.model_validate(values))
    except (ValidationError, InvalidInputError) as exc:
        return _page(request, session, user, template="subjects.html", values=values, exc=exc)
    session.commit()
    JOBS.start(request.app.state.db, created.id)
    return RedirectResponse("/subjects", status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, user: UserRead, subject_id: int) -> Response:
    return render(
        request,
        "error.html",
        {
            "active": "subjects",
            "title": "Subject not found",
            "message": f"There is no subject #{subject_id}.",
        },
        user=user,
        status_code=404,
    )


@router.get("/subjects/{subject_id}/edit", response_class=HTMLResponse)
def subject_edit_page(
    request: Request, session: SessionDep, user: SubjectEditor, subject_id: PathId
) -> Response:
    try:
        subject = get_subject(session, subject_id=subject_id)
    except NotFoundError:
        return _not_found(request, user, subject_id)
    values = {
        "name": subject.name,
        "kind": subject.kind,
        "query": subject.query,
        "active": subject.active,
    }
    return _page(
        request, session, user, template="subject_edit.html", values=values, subject_id=subject_id
    )


@router.post("/subjects/{subject_id}", response_class=HTMLResponse, dependencies=[Csrf])
def subject_update(
    request: Request,
    session: SessionDep,
    user: SubjectEditor,
    subject_id: PathId,
    name: FormStr = "",
    kind: FormStr = "topic",
    query: FormStr = "",
    active: FormStr = "",
) -> Response:
    values: dict[str, Any] = {"name": name, "kind": kind, "query": query, "active": bool(active)}
    try:
        previous = get_subject(session, subject_id=subject_id).query
        updated = update_subject(
            session, subject_id=subject_id, data=SubjectUpdate.model_validate(values)
        )
    except NotFoundError:
        return _not_found(request, user, subject_id)
    except (ValidationError, InvalidInputError) as exc:
        return _page(
            request,
            session,
            user,
            template="subject_edit.html",
            values=values,
            exc=exc,
            subject_id=subject_id,
        )
    session.commit()
    if updated.query != previous:
        JOBS.start(request.app.state.db, subject_id)
    return RedirectResponse("/subjects", status_code=status.HTTP_303_SEE_OTHER)


@router.delete("/subjects/{subject_id}", dependencies=[Csrf])
def subject_delete_htmx(session: SessionDep, user: SubjectEditor, subject_id: PathId) -> Response:
    """HTMX delete from the list: an empty 200 lets the row swap itself away."""
    try:
        delete_subject(session, subject_id=subject_id)
    except NotFoundError:
        return Response(status_code=404)
    session.commit()
    return Response(status_code=200, content="")


@router.post("/subjects/{subject_id}/delete", dependencies=[Csrf])
def subject_delete_form(session: SessionDep, user: SubjectEditor, subject_id: PathId) -> Response:
    """The same delete for a browser without JavaScript."""
    with contextlib.suppress(NotFoundError):
        delete_subject(session, subject_id=subject_id)
    session.commit()
    return RedirectResponse("/subjects", status_code=status.HTTP_303_SEE_OTHER)
