"""Alert rules, suppression windows and delivery status pages.

Rules and windows are edited by admins and analysts; everyone may look. Targets are
typed one per line (``email care@example.com``, ``webhook https://…``, ``slack
https://…``, ``in_app``) and a bad one is named by its line number.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, status
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep, outbound_policy
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import parse_id
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.alerts import deliveries, suppressions
from groundswell.listening.alerts import rules as alert_rules
from groundswell.listening.alerts.redaction import delivery_for_role, masked_rule
from groundswell.listening.alerts.schemas import (
    ALL_METRICS,
    METRIC_LABELS,
    AlertRuleCreate,
    AlertRuleUpdate,
    DeliveryFilter,
    SuppressionCreate,
)
from groundswell.listening.service import list_subjects
from groundswell.web.alert_deps import AlertManager
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form(max_length=20_000)]
FormList = Annotated[list[str], Form()]
TARGET_KINDS = {"email": "email", "webhook": "webhook", "slack": "slack", "in_app": "in_app"}
TARGET_KINDS |= {"in-app": "in_app", "app": "in_app"}
DELIVERY_VIEWS = ("all", "pending", "failed", "dead", "sent")


def parse_targets(text: str) -> list[dict[str, str]]:
    targets = []
    for line in text.splitlines():
        kind, _, to = line.strip().partition(" ")
        if kind:
            targets.append({"kind": TARGET_KINDS.get(kind.lower(), kind), "to": to.strip()})
    return targets


def targets_text(targets: list[Any]) -> str:
    return "\n".join(f"{t.kind} {t.to}".strip() for t in targets)


def _errors(exc: Exception) -> dict[str, str]:
    if isinstance(exc, InvalidInputError):
        parts = (exc.field or "form").split(".")
        if parts[0] == "targets" and len(parts) > 1 and parts[1].isdecimal():
            return {"targets": f"line {int(parts[1]) + 1}: {exc}"}
        return {parts[0]: str(exc)}
    fields: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            loc = err["loc"]
            name = str(loc[0]) if loc else "form"
            if name == "targets" and len(loc) > 1 and isinstance(loc[1], int):
                message = f"line {loc[1] + 1}: {err['msg'].removeprefix('Value error, ')}"
            else:
                message = err["msg"].removeprefix("Value error, ")
            fields.setdefault(name, message)
    return fields


def _number_or_text(value: str) -> int | str:
    """A whole number as int; anything else as typed, for validation to name."""
    number = parse_id(value, minimum=0)
    return value if number is None else number


def _rule_values(
    name: str, subject_ids: list[str], metrics: list[str], min_severity: str, targets: str
) -> dict[str, Any]:
    return {
        "name": name,
        "subject_ids": [i for s in subject_ids if (i := parse_id(s)) is not None] or None,
        "metrics": metrics,
        "min_severity": _number_or_text(min_severity),
        "targets": parse_targets(targets),
    }


def _rules_page(
    request: Request,
    session: SessionDep,
    user: UserRead,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    template: str = "alerts_rules.html",
    rule_id: int | None = None,
) -> Response:
    subjects = list_subjects(session)
    context: dict[str, Any] = {
        "active": "alerts",
        "rules": [masked_rule(r) for r in alert_rules.list_rules(session)],
        "windows": suppressions.list_suppressions(session, active_only=True),
        "subjects": subjects,
        "subject_names": {s.id: s.name for s in subjects},
        "metrics": ALL_METRICS,
        "metric_labels": METRIC_LABELS,
        "form": form
        or {"name": "", "subject_ids": [], "metrics": list(ALL_METRICS), "min_severity": 5}
        | {"targets": "in_app", "active": True},
        "errors": errors or {},
        "rule_id": rule_id,
    }
    return render(request, template, context, user=user, status_code=422 if errors else 200)


@router.get("/alerts/rules", response_class=HTMLResponse)
def rules_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    return _rules_page(request, session, user)


@router.post("/alerts/rules", response_class=HTMLResponse, dependencies=[Csrf])
def rules_create(
    request: Request,
    session: SessionDep,
    user: AlertManager,
    name: FormStr = "",
    subject_ids: FormList = [],  # noqa: B006 - FastAPI copies form defaults
    metrics: FormList = [],  # noqa: B006
    min_severity: FormStr = "1",
    targets: FormStr = "",
) -> Response:
    form: dict[str, Any] = {"name": name, "subject_ids": subject_ids, "metrics": metrics}
    form |= {"min_severity": min_severity, "targets": targets, "active": True}
    try:
        values = _rule_values(name, subject_ids, metrics, min_severity, targets)
        alert_rules.create_rule(
            session,
            data=AlertRuleCreate.model_validate(values),
            outbound=outbound_policy(request.app.state.settings),
        )
    except (ValidationError, InvalidInputError) as exc:
        return _rules_page(request, session, user, form=form, errors=_errors(exc))
    session.commit()
    return RedirectResponse("/alerts/rules", status_code=status.HTTP_303_SEE_OTHER)


def _rule_missing(request: Request, user: UserRead, rule_id: int) -> Response:
    return render(
        request,
        "error.html",
        {"active": "alerts", "title": "Rule not found", "message": f"There is no rule #{rule_id}."},
        user=user,
        status_code=404,
    )


@router.get("/alerts/rules/{rule_id}/edit", response_class=HTMLResponse)
def rule_edit_page(
    request: Request, session: SessionDep, user: AlertManager, rule_id: PathId
) -> Response:
    try:
        rule = alert_rules.get_rule(session, rule_id=rule_id)
    except NotFoundError:
        return _rule_missing(request, user, rule_id)
    form = {
        "name": rule.name,
        "subject_ids": [str(i) for i in rule.subject_ids or []],
        "metrics": rule.metrics,
        "min_severity": rule.min_severity,
        "targets": targets_text(masked_rule(rule).targets),
        "active": rule.active,
    }
    return _rules_page(
        request, session, user, form=form, template="alerts_rule_edit.html", rule_id=rule_id
    )


@router.post("/alerts/rules/{rule_id}", response_class=HTMLResponse, dependencies=[Csrf])
def rule_update(
    request: Request,
    session: SessionDep,
    user: AlertManager,
    rule_id: PathId,
    name: FormStr = "",
    subject_ids: FormList = [],  # noqa: B006
    metrics: FormList = [],  # noqa: B006
    min_severity: FormStr = "1",
    targets: FormStr = "",
    active: FormStr = "",
) -> Response:
    form: dict[str, Any] = {"name": name, "subject_ids": subject_ids, "metrics": metrics}
    form |= {"min_severity": min_severity, "targets": targets, "active": bool(active)}
    try:
        values = _rule_values(name, subject_ids, metrics, min_severity, targets)
        data = AlertRuleUpdate.model_validate({**values, "active": bool(active)})
        alert_rules.update_rule(
            session,
            rule_id=rule_id,
            data=data,
            outbound=outbound_policy(request.app.state.settings),
        )
    except NotFoundError:
        return _rule_missing(request, user, rule_id)
    except (ValidationError, InvalidInputError) as exc:
        return _rules_page(
            request,
            session,
            user,
            form=form,
            errors=_errors(exc),
            template="alerts_rule_edit.html",
            rule_id=rule_id,
        )
    session.commit()
    return RedirectResponse("/alerts/rules", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/alerts/rules/{rule_id}/delete", dependencies=[Csrf])
def rule_delete(session: SessionDep, user: AlertManager, rule_id: PathId) -> Response:
    with contextlib.suppress(NotFoundError):
        alert_rules.delete_rule(session, rule_id=rule_id)
    session.commit()
    return RedirectResponse("/alerts/rules", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/alerts/suppressions", response_class=HTMLResponse, dependencies=[Csrf])
def suppression_create(
    request: Request,
    session: SessionDep,
    user: AlertManager,
    subject_id: FormStr = "",
    metric: FormStr = "",
    minutes: FormStr = "60",
    reason: FormStr = "",
) -> Response:
    try:
        parsed = parse_id(minutes, minimum=0)
        length = -1 if parsed is None else parsed
        if not 1 <= length <= 60 * 24 * 30:
            raise InvalidInputError("choose between 1 minute and 30 days", field="minutes")
        data = SuppressionCreate.model_validate(
            {
                "subject_id": parse_id(subject_id),
                "metric": metric or None,
                "until": utcnow() + timedelta(minutes=length),
                "reason": reason[:1000] or None,
            }
        )
        suppressions.create_suppression(session, data=data, user_id=user.id)
    except (ValidationError, InvalidInputError) as exc:
        return _rules_page(request, session, user, errors=_errors(exc))
    session.commit()
    return RedirectResponse("/alerts/rules", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/alerts/suppressions/{suppression_id}/delete", dependencies=[Csrf])
def suppression_delete(session: SessionDep, user: AlertManager, suppression_id: PathId) -> Response:
    with contextlib.suppress(NotFoundError):
        suppressions.delete_suppression(session, suppression_id=suppression_id)
    session.commit()
    return RedirectResponse("/alerts/rules", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/alerts/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> Response:
    chosen = status_ if status_ in DELIVERY_VIEWS else "all"
    filters = DeliveryFilter.model_validate(
        {"status": None if chosen == "all" else chosen, "limit": 200}
    )
    page = deliveries.list_deliveries(session, filters=filters)
    return render(
        request,
        "alerts_deliveries.html",
        {
            "active": "alerts",
            "deliveries": [delivery_for_role(d, user.role) for d in page.items],
            "total": page.total,
            "chosen": chosen,
            "views": DELIVERY_VIEWS,
        },
        user=user,
    )


@router.post("/alerts/deliveries/{delivery_id}/retry", dependencies=[Csrf])
def delivery_retry(
    request: Request, session: SessionDep, user: AlertManager, delivery_id: PathId
) -> Response:
    with contextlib.suppress(NotFoundError, InvalidInputError):
        deliveries.retry_delivery(session, delivery_id=delivery_id)
    session.commit()
    return RedirectResponse("/alerts/deliveries", status_code=status.HTTP_303_SEE_OTHER)
