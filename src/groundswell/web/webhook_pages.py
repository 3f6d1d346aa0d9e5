"""``/admin/webhooks``: outbound webhook subscriptions and their delivery log (admins).

Plain forms that post and redirect back, calling the same ``notify.subscriptions``
functions as the API; each change lands in the audit log. A new subscription's signing
secret is shown once, on the answer to the form that created it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, status
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep, outbound_policy
from groundswell.api.params import Offset, QueryId
from groundswell.auth.audit import Actor, record
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.instance_keys import resolve_keys
from groundswell.notify import subscriptions
from groundswell.notify.events import EVENT_TYPES
from groundswell.notify.schemas import SubscriptionCreate, SubscriptionCreated, SubscriptionUpdate
from groundswell.web.access_pages import WebAdmin
from groundswell.web.deps import Csrf
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/admin/webhooks"
FLASH_KEY = "webhooks_flash"
PAGE_SIZE = 50
IdForm = Annotated[int, Form(ge=1, le=2**31 - 1)]
StatusFilter = Annotated[Literal["", "pending", "sent", "failed", "dead"], Query(alias="status")]


def _actor(request: Request, user: UserRead) -> Actor:
    return Actor(user_id=user.id, label=user.email, address=client_address(request))


def _page(
    request: Request,
    session: Session,
    user: UserRead,
    *,
    subscription_id: int | None = None,
    status_filter: str = "",
    offset: int = 0,
    error: str | None = None,
    created: SubscriptionCreated | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = request.session.pop(FLASH_KEY, None)
    deliveries = subscriptions.list_event_deliveries(
        session,
        subscription_id=subscription_id,
        status=status_filter or None,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    context: dict[str, Any] = {
        "active": "webhooks",
        "subscriptions": subscriptions.list_subscriptions(session),
        "deliveries": deliveries[:PAGE_SIZE],
        "more": len(deliveries) > PAGE_SIZE,
        "counts": subscriptions.delivery_counts(session),
        "event_types": EVENT_TYPES,
        "subscription_id": subscription_id,
        "status_filter": status_filter,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "error": error,
        "flash": flash if isinstance(flash, str) else None,
        "created": created,
    }
    return render(request, "webhooks.html", context, user=user, status_code=status_code)


def _done(request: Request, message: str) -> RedirectResponse:
    request.session[FLASH_KEY] = message
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


def _refused(request: Request, session: Session, user: UserRead, exc: Exception) -> HTMLResponse:
    session.rollback()
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        message = f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    else:
        field = getattr(exc, "field", None)
        message = f"{field}: {exc}" if field else str(exc)
    return _page(request, session, user, error=message, status_code=422)


@router.get(PAGE, response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    subscription_id: QueryId = None,
    status_filter: StatusFilter = "",
    offset: Offset = 0,
) -> Response:
    return _page(
        request,
        session,
        user,
        subscription_id=subscription_id,
        status_filter=status_filter,
        offset=offset,
    )


@router.post(PAGE, response_class=HTMLResponse, dependencies=[Csrf])
def create_webhook_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    event_types: Annotated[list[str] | None, Form(max_length=len(EVENT_TYPES))] = None,
) -> Response:
    settings = request.app.state.settings
    try:
        data = SubscriptionCreate.model_validate(
            {"name": name, "url": url, "event_types": event_types or []}
        )
        created = subscriptions.create_subscription(
            session,
            data=data,
            outbound=outbound_policy(settings),
            instance_key=resolve_keys(settings).webhook_key,
            created_by=user.email,
        )
    except (ValidationError, InvalidInputError) as exc:
        return _refused(request, session, user, exc)
    record(
        session,
        actor=_actor(request, user),
        action="webhook.create",
        target_type="webhook",
        target_id=created.id,
        target=created.url[:320],
        details={"event_types": created.event_types},
    )
    return _page(request, session, user, created=created)


@router.post(PAGE + "/active", dependencies=[Csrf])
def set_webhook_active_form(
    request: Request,
    session: SessionDep,
    user: WebAdmin,
    subscription_id: IdForm,
    active: Annotated[bool, Form()],
) -> Response:
    try:
        updated = subscriptions.update_subscription(
            session, subscription_id=subscription_id, data=SubscriptionUpdate(active=active)
        )
    except NotFoundError as exc:
        return _refused(request, session, user, exc)
    record(
        session,
        actor=_actor(request, user),
        action="webhook.update",
        target_type="webhook",
        target_id=updated.id,
        target=updated.url[:320],
        details={"active": active},
    )
    return _done(request, f"Webhook “{updated.name}” {'resumed' if active else 'paused'}.")


@router.post(PAGE + "/delete", dependencies=[Csrf])
def delete_webhook_form(
    request: Request, session: SessionDep, user: WebAdmin, subscription_id: IdForm
) -> Response:
    try:
        deleted = subscriptions.delete_subscription(session, subscription_id=subscription_id)
    except NotFoundError as exc:
        return _refused(request, session, user, exc)
    record(
        session,
        actor=_actor(request, user),
        action="webhook.delete",
        target_type="webhook",
        target_id=deleted.id,
        target=deleted.url[:320],
    )
    return _done(request, f"Webhook “{deleted.name}” deleted with its delivery log.")
