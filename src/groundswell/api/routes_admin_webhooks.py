"""``/api/v1/admin/webhooks``: outbound webhook subscriptions and their delivery log.

Admins only (and tokens with the ``admin`` scope). The signing secret is in the creation
response only. Every change is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status

from groundswell.api.deps import SessionDep, SettingsDep, outbound_policy
from groundswell.api.params import Offset, PathId, QueryId
from groundswell.api.routes_admin import Admin, actor_of
from groundswell.auth.audit import record
from groundswell.core.instance_keys import resolve_keys
from groundswell.notify import subscriptions
from groundswell.notify.schemas import (
    EventDeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = APIRouter(tags=["admin"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token or session"},
    403: {"description": "not an admin, token lacks the admin scope, or CSRF token missing"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {**_ERRORS, 404: {"description": "no such record"}}
DeliveryStatus = Literal["pending", "sent", "failed", "dead"]


@router.get(
    "/admin/webhooks",
    summary="List webhook subscriptions",
    response_model=list[SubscriptionRead],
    responses=_ERRORS,
)
def api_list_webhooks(session: SessionDep, _: Admin) -> list[SubscriptionRead]:
    return subscriptions.list_subscriptions(session)


@router.post(
    "/admin/webhooks",
    summary="Subscribe a URL to domain events",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 422: {"description": "bad field, or a URL the server may not post to"}},
)
def api_create_webhook(
    request: Request,
    session: SessionDep,
    user: Admin,
    settings: SettingsDep,
    data: SubscriptionCreate,
) -> SubscriptionCreated:
    """The URL must pass the outbound guard (public address or an allow-listed host).
    The ``secret`` signing the deliveries is in this response only (docs/webhooks.md)."""
    created = subscriptions.create_subscription(
        session,
        data=data,
        outbound=outbound_policy(settings),
        instance_key=resolve_keys(settings).webhook_key,
        created_by=user.email,
    )
    record(
        session,
        actor=actor_of(request, user),
        action="webhook.create",
        target_type="webhook",
        target_id=created.id,
        target=created.url[:320],
        details={"event_types": created.event_types},
    )
    return created


@router.patch(
    "/admin/webhooks/{subscription_id}",
    summary="Rename, change the events of, pause or resume a subscription",
    response_model=SubscriptionRead,
    responses=_NOT_FOUND,
)
def api_update_webhook(
    request: Request,
    session: SessionDep,
    user: Admin,
    subscription_id: PathId,
    data: SubscriptionUpdate,
) -> SubscriptionRead:
    updated = subscriptions.update_subscription(session, subscription_id=subscription_id, data=data)
    record(
        session,
        actor=actor_of(request, user),
        action="webhook.update",
        target_type="webhook",
        target_id=updated.id,
        target=updated.url[:320],
        details=data.model_dump(exclude_none=True),
    )
    return updated


@router.delete(
    "/admin/webhooks/{subscription_id}",
    summary="Delete a subscription and its delivery log",
    response_model=SubscriptionRead,
    responses=_NOT_FOUND,
)
def api_delete_webhook(
    request: Request, session: SessionDep, user: Admin, subscription_id: PathId
) -> SubscriptionRead:
    deleted = subscriptions.delete_subscription(session, subscription_id=subscription_id)
    record(
        session,
        actor=actor_of(request, user),
        action="webhook.delete",
        target_type="webhook",
        target_id=deleted.id,
        target=deleted.url[:320],
    )
    return deleted


@router.get(
    "/admin/webhooks/deliveries",
    summary="The webhook delivery log",
    response_model=list[EventDeliveryRead],
    responses=_ERRORS,
)
def api_webhook_deliveries(
    session: SessionDep,
    _: Admin,
    subscription_id: QueryId = None,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[EventDeliveryRead]:
    """Newest first: each delivery's status, attempts, next attempt and last error."""
    return subscriptions.list_event_deliveries(
        session, subscription_id=subscription_id, status=status_, limit=limit, offset=offset
    )
