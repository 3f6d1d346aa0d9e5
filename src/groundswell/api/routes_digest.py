"""``/api/v1/digest``: the executive digest's figures, and who receives it when."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from groundswell.analytics.digest.schemas import (
    DigestRead,
    SubscriptionCreate,
    SubscriptionRead,
)
from groundswell.analytics.digest.service import build_digest
from groundswell.analytics.digest.subscriptions import (
    create_subscription,
    delete_subscription,
    list_subscriptions,
)
from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep, require_manager
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.core.clock import utcnow

router = APIRouter(tags=["digest"])
Manager = Annotated[UserRead, require_manager("manage digest subscriptions")]


@router.get("/digest", summary="The executive digest of a brand", response_model=DigestRead)
def api_digest(
    session: SessionDep,
    _: ApiUser,
    subject_id: Annotated[int, Query(ge=1, le=MAX_INT64, description="a brand or competitor")],
    period: Annotated[Literal["day", "week"], Query(description="a day or a Monday week")] = "day",
    day: Annotated[
        date | None,
        Query(
            alias="date", description="a day of the period; default today (UTC), the period so far"
        ),
    ] = None,
    tz: Annotated[
        str, Query(min_length=1, max_length=64, description="IANA time zone of the period")
    ] = "UTC",
) -> DigestRead:
    """What moved (volume and sentiment against the seasonal baseline, alerts with their
    drill-down summary, share of voice), why (themes, rising terms, sample posts), how the
    team did against the previous period, and ranked actions. ``gaps`` lists missing
    data. 422 names the field (``subject_id`` not a brand, ``tz`` unknown); 404 for an
    unknown subject."""
    chosen = day or utcnow().date()
    return build_digest(session, subject_id=subject_id, period=period, day=chosen, tz=tz)


@router.get(
    "/digest/subscriptions",
    summary="List digest subscriptions",
    response_model=list[SubscriptionRead],
)
def api_list_subscriptions(session: SessionDep, _: Manager) -> list[SubscriptionRead]:
    return list_subscriptions(session)


@router.post(
    "/digest/subscriptions",
    summary="Subscribe a recipient to a brand's digest",
    response_model=SubscriptionRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
)
def api_create_subscription(
    session: SessionDep, user: Manager, body: SubscriptionCreate
) -> SubscriptionRead:
    """``send_hour`` (0–23) is local to ``timezone`` (IANA, e.g. ``Europe/Paris``); 422
    names the field for a bad address, hour, zone, or a subject that is not a brand."""
    return create_subscription(session, body, created_by=user.id)


@router.delete(
    "/digest/subscriptions/{subscription_id}",
    summary="Delete a digest subscription",
    status_code=204,
    dependencies=CSRF_CHECKED,
)
def api_delete_subscription(session: SessionDep, _: Manager, subscription_id: PathId) -> Response:
    delete_subscription(session, subscription_id)
    return Response(status_code=204)
