"""The executive digest pages: ``/digest`` (pick brand, day or week, date), its PDF, and
``/digest/subscriptions`` where admins and analysts say who receives it, when.

Bad values come back as the form with the error beside it (422, naming the field).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.analytics.digest.charts import charts
from groundswell.analytics.digest.period import PeriodKind
from groundswell.analytics.digest.render import data_uris, render_body, render_pdf
from groundswell.analytics.digest.schemas import DigestRead, SubscriptionCreate
from groundswell.analytics.digest.service import DIGEST_KINDS, build_digest
from groundswell.analytics.digest.subscriptions import (
    create_subscription,
    delete_subscription,
    list_subscriptions,
    own_subscription,
)
from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import parse_id
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.models import Subject
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import can_edit_subjects, render

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form(max_length=400)]


def digest_manager(user: WebUser) -> UserRead:
    if not can_edit_subjects(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only admins and analysts manage digest subscriptions"
        )
    return user


DigestManager = Annotated[UserRead, Depends(digest_manager)]


def brands(session: SessionDep) -> list[Subject]:
    return list(
        session.scalars(
            select(Subject)
            .where(Subject.kind.in_(DIGEST_KINDS))
            .order_by(Subject.kind, Subject.name)
            .limit(500)
        )
    )


def _choice(
    session: SessionDep,
    user: UserRead,
    subject_id: str | None,
    period: str | None,
    day: str | None,
    tz: str | None,
) -> tuple[int | None, PeriodKind, date, str]:
    """The digest asked for; what the query leaves out comes from the digest the user
    subscribes to (brand, period, time zone), else the first brand, a day, UTC."""
    mine = None if subject_id else own_subscription(session, user.email)
    if mine is not None:
        period = period or mine.period
        tz = tz or mine.timezone
    kind: PeriodKind
    match (period or "day").strip():
        case "day":
            kind = "day"
        case "week":
            kind = "week"
        case _:
            raise InvalidInputError("period must be day or week", field="period")
    try:
        chosen_day = date.fromisoformat(day.strip()[:10]) if day else utcnow().date()
    except ValueError:
        raise InvalidInputError("date is not a date (YYYY-MM-DD)", field="date") from None
    sid = None
    if subject_id:
        sid = parse_id(subject_id, minimum=1)
        if sid is None:
            raise InvalidInputError("subject_id must be a whole number", field="subject_id")
    elif mine is not None:
        sid = mine.subject_id
    else:
        first = next(iter(brands(session)), None)
        sid = first.id if first else None
    zone_name = (tz or "UTC").strip()[:64] or "UTC"
    return sid, kind, chosen_day, zone_name


def _not_found(request: Request, user: UserRead, exc: NotFoundError) -> Response:
    return render(
        request,
        "error.html",
        {"title": "Not found", "message": f"The {exc.what} #{exc.key} does not exist."},
        user=user,
        status_code=404,
    )


@router.get("/digest", response_class=HTMLResponse)
def digest_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    subject_id: str | None = None,
    period: str | None = None,
    date: str | None = None,
    tz: str | None = None,
) -> Response:
    result: DigestRead | None = None
    body = None
    error: InvalidInputError | None = None
    code = 200
    form = {
        "subject_id": (subject_id or "")[:20],
        "period": (period or "day")[:8],
        "date": (date or "")[:10],
        "tz": (tz or "UTC")[:64],
    }
    try:
        sid, kind, day, zone_name = _choice(session, user, subject_id, period, date, tz)
        form.update(subject_id=str(sid or ""), period=kind, date=day.isoformat(), tz=zone_name)
        if sid is not None:
            result = build_digest(session, subject_id=sid, period=kind, day=day, tz=zone_name)
            body = render_body(result, data_uris(charts(result)))
    except InvalidInputError as exc:
        error, code = exc, 422
    except NotFoundError as exc:
        return _not_found(request, user, exc)
    return render(
        request,
        "digest.html",
        {
            "active": "digest",
            "result": result,
            "body": body,
            "error": error,
            "form": form,
            "brands": brands(session),
        },
        user=user,
        status_code=code,
    )


@router.get("/digest.pdf")
def digest_pdf(
    request: Request,
    session: SessionDep,
    user: WebUser,
    subject_id: str | None = None,
    period: str | None = None,
    date: str | None = None,
    tz: str | None = None,
) -> Response:
    try:
        sid, kind, day, zone_name = _choice(session, user, subject_id, period, date, tz)
        if sid is None:
            raise InvalidInputError("choose a brand", field="subject_id")
        result = build_digest(session, subject_id=sid, period=kind, day=day, tz=zone_name)
    except InvalidInputError as exc:
        return Response(f"{exc.field}: {exc}", status_code=422, media_type="text/plain")
    except NotFoundError as exc:
        return _not_found(request, user, exc)
    pdf = render_pdf(result, charts(result))
    name = f"digest-{result.subject_id}-{result.period}-{result.first_day.isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _subscriptions_page(
    request: Request,
    session: SessionDep,
    user: UserRead,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    field: str | None = None,
    code: int = 200,
) -> Response:
    return render(
        request,
        "digest_subscriptions.html",
        {
            "active": "digest",
            "subscriptions": list_subscriptions(session),
            "brands": brands(session),
            "form": form
            or {
                "email": user.email,
                "subject_id": "",
                "period": "day",
                "send_hour": "7",
                "timezone": "UTC",
            },
            "error": error,
            "field": field,
        },
        user=user,
        status_code=code,
    )


@router.get("/digest/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, session: SessionDep, user: DigestManager) -> Response:
    return _subscriptions_page(request, session, user)


@router.post("/digest/subscriptions", response_class=HTMLResponse, dependencies=[Csrf])
def subscriptions_create(
    request: Request,
    session: SessionDep,
    user: DigestManager,
    email: FormStr = "",
    subject_id: FormStr = "",
    period: FormStr = "day",
    send_hour: FormStr = "7",
    timezone: FormStr = "UTC",
) -> Response:
    form = {
        "email": email[:320],
        "subject_id": subject_id[:20],
        "period": period[:8],
        "send_hour": send_hour[:4],
        "timezone": timezone[:64],
    }
    try:
        data = SubscriptionCreate.model_validate(
            {
                "email": email,
                "subject_id": subject_id or None,
                "period": period,
                "send_hour": send_hour,
                "timezone": timezone.strip(),
            }
        )
        create_subscription(session, data, created_by=user.id)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        return _subscriptions_page(
            request,
            session,
            user,
            form=form,
            error=f"{where}: {first['msg']}",
            field=where,
            code=422,
        )
    except InvalidInputError as exc:
        return _subscriptions_page(
            request,
            session,
            user,
            form=form,
            error=f"{exc.field}: {exc}",
            field=exc.field,
            code=422,
        )
    except NotFoundError as exc:
        return _subscriptions_page(
            request,
            session,
            user,
            form=form,
            error=f"subject_id: {exc}",
            field="subject_id",
            code=422,
        )
    return RedirectResponse("/digest/subscriptions", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/digest/subscriptions/{subscription_id}/delete", dependencies=[Csrf])
def subscriptions_delete(
    session: SessionDep, _: DigestManager, subscription_id: PathId
) -> Response:
    delete_subscription(session, subscription_id)
    return RedirectResponse("/digest/subscriptions", status_code=status.HTTP_303_SEE_OTHER)
