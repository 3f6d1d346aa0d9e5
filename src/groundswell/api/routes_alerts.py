"""``/api/v1`` routes for alerts, alert rules, suppression windows and deliveries.

Everyone signed in reads alerts and acknowledges them (agents are often the first to
see one); assigning, resolving, suppressing, rules and delivery retries belong to
admins and analysts, who own the listening set-up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from groundswell.api.deps import (
    CSRF_CHECKED,
    ApiUser,
    SessionDep,
    SettingsDep,
    outbound_policy,
    require_manager,
)
from groundswell.api.params import Offset, PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.listening.alerts import deliveries, suppressions
from groundswell.listening.alerts import rules as alert_rules
from groundswell.listening.alerts import service as alert_service
from groundswell.listening.alerts.redaction import delivery_for_role, masked_rule
from groundswell.listening.alerts.schemas import (
    AlertDetail,
    AlertFilter,
    AlertPage,
    AlertRead,
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    AlertSort,
    AlertStatus,
    AssignRequest,
    DeliveryFilter,
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    Metric,
    SuppressionCreate,
    SuppressionRead,
    SuppressRequest,
)

router = APIRouter(tags=["alerts"])


Manager = Annotated[UserRead, require_manager("manage alerts")]
_WRITE = CSRF_CHECKED


# -- alerts ---------------------------------------------------------------------------


@router.get("/alerts", summary="List alerts", response_model=AlertPage)
def api_list_alerts(
    session: SessionDep,
    _: ApiUser,
    status_: Annotated[
        list[AlertStatus] | None, Query(alias="status", description="repeat for several")
    ] = None,
    subject_id: Annotated[int | None, Query(ge=0, le=MAX_INT64)] = None,
    metric: Metric | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
    sort: AlertSort = "severity",
) -> AlertPage:
    """Open and ongoing first, then resolved; within each by severity (then newest) or,
    with ``sort=recent``, newest anomaly first."""
    filters = AlertFilter(
        status=status_,
        subject_id=subject_id,
        metric=metric,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    return alert_service.list_alerts(session, filters=filters)


@router.get(
    "/alerts/{alert_id}", summary="One alert with its anomalies", response_model=AlertDetail
)
def api_get_alert(session: SessionDep, user: ApiUser, alert_id: PathId) -> AlertDetail:
    detail = alert_service.get_alert_detail(session, alert_id=alert_id)
    deliveries = [delivery_for_role(d, user.role) for d in detail.deliveries]
    return detail.model_copy(update={"deliveries": deliveries})


@router.post(
    "/alerts/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    response_model=AlertRead,
    dependencies=_WRITE,
)
def api_acknowledge(session: SessionDep, user: ApiUser, alert_id: PathId) -> AlertRead:
    return alert_service.acknowledge(session, alert_id=alert_id, user_id=user.id)


@router.post(
    "/alerts/{alert_id}/assign",
    summary="Assign an alert (user_id null to unassign)",
    response_model=AlertRead,
    dependencies=_WRITE,
)
def api_assign(session: SessionDep, _: Manager, alert_id: PathId, body: AssignRequest) -> AlertRead:
    return alert_service.assign(session, alert_id=alert_id, user_id=body.user_id)


@router.post(
    "/alerts/{alert_id}/resolve",
    summary="Resolve an alert by hand",
    response_model=AlertRead,
    dependencies=_WRITE,
)
def api_resolve(session: SessionDep, _: Manager, alert_id: PathId) -> AlertRead:
    return alert_service.resolve(session, alert_id=alert_id)


@router.post(
    "/alerts/{alert_id}/suppress",
    summary="Suppress new alerts for this alert's subject (and metric)",
    response_model=SuppressionRead,
    status_code=201,
    dependencies=_WRITE,
)
def api_suppress(
    session: SessionDep, user: Manager, alert_id: PathId, body: SuppressRequest
) -> SuppressionRead:
    return alert_service.suppress(session, alert_id=alert_id, data=body, user_id=user.id)


# -- rules ----------------------------------------------------------------------------


@router.get("/alert-rules", summary="List alert rules", response_model=list[AlertRuleRead])
def api_list_rules(session: SessionDep, user: ApiUser) -> list[AlertRuleRead]:
    """Webhook and Slack targets are masked for everyone (their URLs hold secrets)."""
    return [masked_rule(r) for r in alert_rules.list_rules(session)]


@router.post(
    "/alert-rules",
    summary="Create an alert rule",
    response_model=AlertRuleRead,
    status_code=201,
    dependencies=_WRITE,
)
def api_create_rule(
    session: SessionDep, settings: SettingsDep, _: Manager, body: AlertRuleCreate
) -> AlertRuleRead:
    """Targets are checked: ``email`` needs an address, ``webhook``/``slack`` an
    http(s) URL; 422 names the target, e.g. ``targets.0.to``. The answer shows webhook
    and Slack URLs masked, as every read does."""
    return masked_rule(
        alert_rules.create_rule(session, data=body, outbound=outbound_policy(settings))
    )


@router.get("/alert-rules/{rule_id}", summary="One alert rule", response_model=AlertRuleRead)
def api_get_rule(session: SessionDep, user: ApiUser, rule_id: PathId) -> AlertRuleRead:
    return masked_rule(alert_rules.get_rule(session, rule_id=rule_id))


@router.patch(
    "/alert-rules/{rule_id}",
    summary="Change an alert rule",
    response_model=AlertRuleRead,
    dependencies=_WRITE,
)
def api_update_rule(
    session: SessionDep, settings: SettingsDep, _: Manager, rule_id: PathId, body: AlertRuleUpdate
) -> AlertRuleRead:
    """A webhook or Slack target sent back masked (``https://host/…``, as reads show it)
    keeps its saved URL; a new URL replaces it."""
    outbound = outbound_policy(settings)
    return masked_rule(
        alert_rules.update_rule(session, rule_id=rule_id, data=body, outbound=outbound)
    )


@router.delete(
    "/alert-rules/{rule_id}", summary="Delete an alert rule", status_code=204, dependencies=_WRITE
)
def api_delete_rule(session: SessionDep, _: Manager, rule_id: PathId) -> Response:
    alert_rules.delete_rule(session, rule_id=rule_id)
    return Response(status_code=204)


# -- suppression windows --------------------------------------------------------------


@router.get(
    "/alert-suppressions", summary="List suppression windows", response_model=list[SuppressionRead]
)
def api_list_suppressions(
    session: SessionDep, _: ApiUser, active: bool = False
) -> list[SuppressionRead]:
    return suppressions.list_suppressions(session, active_only=active)


@router.post(
    "/alert-suppressions",
    summary="Create a suppression window",
    response_model=SuppressionRead,
    status_code=201,
    dependencies=_WRITE,
)
def api_create_suppression(
    session: SessionDep, user: Manager, body: SuppressionCreate
) -> SuppressionRead:
    return suppressions.create_suppression(session, data=body, user_id=user.id)


@router.delete(
    "/alert-suppressions/{suppression_id}",
    summary="End a suppression window",
    status_code=204,
    dependencies=_WRITE,
)
def api_delete_suppression(session: SessionDep, _: Manager, suppression_id: PathId) -> Response:
    suppressions.delete_suppression(session, suppression_id=suppression_id)
    return Response(status_code=204)


# -- deliveries -----------------------------------------------------------------------


@router.get(
    "/alert-deliveries", summary="List notification deliveries", response_model=DeliveryPage
)
def api_list_deliveries(
    session: SessionDep,
    user: ApiUser,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    alert_id: Annotated[int | None, Query(ge=1, le=MAX_INT64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """Each with its status, attempts and last error; ``dead`` ones gave up and wait
    for a retry."""
    filters = DeliveryFilter(status=status_, alert_id=alert_id, limit=limit, offset=offset)
    page = deliveries.list_deliveries(session, filters=filters)
    items = [delivery_for_role(d, user.role) for d in page.items]
    return page.model_copy(update={"items": items})


@router.post(
    "/alert-deliveries/{delivery_id}/retry",
    summary="Retry a failed or dead delivery",
    response_model=DeliveryRead,
    dependencies=_WRITE,
)
def api_retry_delivery(session: SessionDep, user: Manager, delivery_id: PathId) -> DeliveryRead:
    delivery = deliveries.retry_delivery(session, delivery_id=delivery_id)
    return delivery_for_role(delivery, user.role)
