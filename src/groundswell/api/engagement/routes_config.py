"""Set-up: queues, agents, SLA policies, canned responses, rules (with a dry-run), CSAT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select
from starlette.responses import Response

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep
from groundswell.api.engagement.deps import LEADS, Lead, SelfOrLead
from groundswell.api.params import PathId
from groundswell.core.clock import utcnow
from groundswell.engagement import config
from groundswell.engagement.reply_models import CsatSurvey
from groundswell.engagement.rules.service import dry_run
from groundswell.engagement.rules.spec import RuleSpec
from groundswell.engagement.schemas import (
    AgentRead,
    AgentUpdate,
    CannedCreate,
    CannedRead,
    CsatRead,
    DryRunRow,
    QueueCreate,
    QueueRead,
    SlaPolicyCreate,
    SlaPolicyRead,
)

router = APIRouter(prefix="/engagement", tags=["engagement: set-up"])


@router.get("/queues", response_model=list[QueueRead], summary="Queues with members and open cases")
def api_queues(session: SessionDep, _: ApiUser) -> list[QueueRead]:
    return config.list_queues(session)


@router.post(
    "/queues",
    response_model=QueueRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
    summary="Create a queue",
)
def api_create_queue(session: SessionDep, _: Lead, body: QueueCreate) -> QueueRead:
    return config.create_queue(session, data=body)


@router.get(
    "/agents", response_model=list[AgentRead], summary="Agents: capacity, away, skills, languages"
)
def api_agents(session: SessionDep, _: ApiUser) -> list[AgentRead]:
    return config.list_agents(session)


@router.put(
    "/agents/{user_id}",
    response_model=AgentRead,
    dependencies=CSRF_CHECKED,
    summary="Set an agent's capacity, away status, skills",
)
def api_update_agent(
    session: SessionDep, user: SelfOrLead, user_id: PathId, body: AgentUpdate
) -> AgentRead:
    if (
        body.capacity is not None or body.skills is not None or body.in_training is not None
    ) and user.role not in LEADS:
        raise HTTPException(
            403, f"role {user.role!r} may only set its own away status (needs lead or admin)"
        )
    return config.upsert_agent(session, user_id=user_id, data=body)


@router.get("/sla-policies", response_model=list[SlaPolicyRead], summary="SLA policies")
def api_sla(session: SessionDep, _: ApiUser) -> list[SlaPolicyRead]:
    return config.list_sla_policies(session)


@router.post(
    "/sla-policies",
    response_model=SlaPolicyRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
    summary="Create an SLA policy",
)
def api_create_sla(session: SessionDep, _: Lead, body: SlaPolicyCreate) -> SlaPolicyRead:
    return config.create_sla_policy(session, data=body)


@router.get("/canned-responses", response_model=list[CannedRead], summary="Search canned responses")
def api_canned(
    session: SessionDep, _: ApiUser, q: Annotated[str, Query(max_length=50)] = ""
) -> list[CannedRead]:
    return config.search_canned(session, q=q)


@router.post(
    "/canned-responses",
    response_model=CannedRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
    summary="Create a canned response or macro",
)
def api_create_canned(session: SessionDep, user: Lead, body: CannedCreate) -> CannedRead:
    return config.create_canned(session, data=body, user_id=user.id)


@router.get("/rules", response_model=list[RuleSpec], summary="Rules in evaluation order")
def api_rules(session: SessionDep, _: ApiUser) -> list[RuleSpec]:
    return config.list_rules(session)


@router.post(
    "/rules",
    response_model=RuleSpec,
    status_code=201,
    dependencies=CSRF_CHECKED,
    summary="Create a rule",
)
def api_create_rule(session: SessionDep, _: Lead, body: RuleSpec) -> RuleSpec:
    return config.create_rule(session, spec=body, now=utcnow())


@router.put(
    "/rules/{rule_id}", response_model=RuleSpec, dependencies=CSRF_CHECKED, summary="Replace a rule"
)
def api_update_rule(session: SessionDep, _: Lead, rule_id: PathId, body: RuleSpec) -> RuleSpec:
    return config.update_rule(session, rule_id=rule_id, spec=body, now=utcnow())


@router.delete(
    "/rules/{rule_id}", status_code=204, dependencies=CSRF_CHECKED, summary="Delete a rule"
)
def api_delete_rule(session: SessionDep, _: Lead, rule_id: PathId) -> Response:
    config.delete_rule(session, rule_id=rule_id)
    return Response(status_code=204)


@router.post(
    "/rules/dry-run",
    response_model=list[DryRunRow],
    dependencies=CSRF_CHECKED,
    summary="Which of the last N interactions a rule would match",
)
def api_dry_run(
    session: SessionDep,
    _: ApiUser,
    body: RuleSpec,
    last: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[DryRunRow]:
    return [
        DryRunRow(
            interaction_id=i.id, channel=key, text=i.text[:280], created_at=i.created_at, matched=m
        )
        for i, key, m in dry_run(session, spec=body, last=last)
    ]


@router.get("/csat", response_model=list[CsatRead], summary="CSAT answers, newest first")
def api_csat(
    session: SessionDep, _: ApiUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CsatRead]:
    rows = session.scalars(select(CsatSurvey).order_by(CsatSurvey.id.desc()).limit(limit))
    return [CsatRead.model_validate(r) for r in rows]
