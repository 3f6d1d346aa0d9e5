"""Segments: the list, the form to save or change one, delete, and the CSV export.

Anyone logged in sees segments and uses them (contacts list, inbox, export); admins and
analysts create, change and delete them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from groundswell.api.deps import DatabaseDep, SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.journey import STAGES
from groundswell.crm.read import list_channels
from groundswell.crm.segments import (
    SegmentIn,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    stream_export,
    update_segment,
)
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def segment_editor(user: WebUser) -> UserRead:
    """Admins and analysts define segments; refused before the form is read."""
    if user.role not in ("admin", "analyst"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins and analysts edit segments")
    return user


SegmentEditor = Annotated[UserRead, Depends(segment_editor)]
Text = Annotated[str, Form(max_length=200)]


def _number(raw: str) -> str | None:
    return raw.strip() or None


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]


def _from_form(form: dict[str, Any]) -> SegmentIn:
    """The form's text fields as a validated segment (422 on anything out of bounds)."""
    return SegmentIn.model_validate(
        {
            "name": form["name"],
            "filter": {
                "min_value": _number(form["min_value"]),
                "max_value": _number(form["max_value"]),
                "min_p_alive": _number(form["min_p_alive"]),
                "max_p_alive": _number(form["max_p_alive"]),
                "sentiment_trend": form["sentiment_trend"] or None,
                "channels": _split(form["channels"]),
                "stages": [s for s in form["stages"] if s],
                "touched_within_days": _number(form["touched_within_days"]),
                "silent_for_days": _number(form["silent_for_days"]),
                "tags": _split(form["tags"]),
            },
        }
    )


def _page(
    request: Request,
    session: SessionDep,
    user: UserRead,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    editing: int | None = None,
    code: int = 200,
) -> Response:
    return render(
        request,
        "segments.html",
        {
            "active": "contacts",
            "segments": list_segments(session),
            "stages": STAGES,
            "channels": list_channels(session),
            "error": error,
            "form": form or {},
            "editing": editing,
            "can_edit": user.role in ("admin", "analyst"),
        },
        user=user,
        status_code=code,
    )


@router.get("/segments", response_class=HTMLResponse)
def segments_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    return _page(request, session, user)


@router.get("/segments/{segment_id}/edit", response_class=HTMLResponse)
def segment_edit_page(
    request: Request, session: SessionDep, user: SegmentEditor, segment_id: PathId
) -> Response:
    try:
        seg = get_segment(session, segment_id=segment_id)
    except NotFoundError:
        return _page(request, session, user, error=f"no segment #{segment_id}", code=404)
    f = seg.filter
    form = {
        "name": seg.name,
        **{
            k: "" if v is None else v
            for k, v in f.model_dump().items()
            if k not in ("channels", "stages", "tags")
        },
        "channels": ", ".join(f.channels),
        "tags": ", ".join(f.tags),
        "stages": list(f.stages),
    }
    return _page(request, session, user, form=form, editing=segment_id)


def _error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"] if p != "filter") or "filter"
    return f"{field}: {first['msg']}"


@router.post("/segments", dependencies=[Csrf])
def segment_save(
    request: Request,
    session: SessionDep,
    user: SegmentEditor,
    name: Annotated[str, Form(max_length=200)] = "",
    min_value: Text = "",
    max_value: Text = "",
    min_p_alive: Text = "",
    max_p_alive: Text = "",
    sentiment_trend: Annotated[str, Form(max_length=20)] = "",
    channels: Annotated[str, Form(max_length=2000)] = "",
    stages: Annotated[list[str] | None, Form()] = None,
    touched_within_days: Text = "",
    silent_for_days: Text = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    segment_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create, or change the segment named by ``segment_id``."""
    form: dict[str, Any] = {
        "name": name,
        "min_value": min_value,
        "max_value": max_value,
        "min_p_alive": min_p_alive,
        "max_p_alive": max_p_alive,
        "sentiment_trend": sentiment_trend,
        "channels": channels,
        "stages": [s[:20] for s in (stages or [])[:10]],
        "touched_within_days": touched_within_days,
        "silent_for_days": silent_for_days,
        "tags": tags,
    }
    editing = int(segment_id) if segment_id.isdigit() and len(segment_id) < 19 else None
    try:
        data = _from_form(form)
        if editing is not None:
            update_segment(session, segment_id=editing, data=data)
        else:
            create_segment(session, data=data, owner_id=user.id)
    except ValidationError as exc:
        return _page(
            request, session, user, error=_error(exc), form=form, editing=editing, code=422
        )
    except InvalidInputError as exc:
        return _page(request, session, user, error=str(exc), form=form, editing=editing, code=422)
    except NotFoundError:
        return _page(request, session, user, error=f"no segment #{editing}", code=404)
    session.commit()
    return RedirectResponse("/segments", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/segments/{segment_id}/delete", dependencies=[Csrf])
def segment_delete(
    request: Request, session: SessionDep, user: SegmentEditor, segment_id: PathId
) -> Response:
    try:
        delete_segment(session, segment_id=segment_id)
    except NotFoundError:
        return _page(request, session, user, error=f"no segment #{segment_id}", code=404)
    session.commit()
    return RedirectResponse("/segments", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/segments/{segment_id}/export.csv")
def segment_export(
    request: Request, session: SessionDep, db: DatabaseDep, user: WebUser, segment_id: PathId
) -> Response:
    try:
        seg = get_segment(session, segment_id=segment_id)
    except NotFoundError:
        return _page(request, session, user, error=f"no segment #{segment_id}", code=404)
    return StreamingResponse(
        stream_export(db, segment_id=seg.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="segment-{seg.id}.csv"'},
    )
