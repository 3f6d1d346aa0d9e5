"""Creating and reading what admins set up: queues, agents, SLA policies, canned responses
and rules. Each refusal names the field (``InvalidInputError``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.engagement import lifecycle
from groundswell.engagement.business_time import ScheduleError, parse_hours
from groundswell.engagement.canned import CannedError, check_template
from groundswell.engagement.config_models import CannedResponse, Rule, SlaPolicy
from groundswell.engagement.models import Agent, Case, Queue, QueueMember
from groundswell.engagement.rules.spec import RuleSpec
from groundswell.engagement.schemas import (
    AgentRead,
    AgentUpdate,
    CannedCreate,
    CannedRead,
    QueueCreate,
    QueueRead,
    SlaPolicyCreate,
    SlaPolicyRead,
)


def _queue_read(session: Session, q: Queue) -> QueueRead:
    members = list(session.scalars(select(QueueMember.user_id).where(QueueMember.queue_id == q.id)))
    open_cases = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.queue_id == q.id, Case.status.in_(lifecycle.ACTIVE))
    )
    return QueueRead(
        id=q.id,
        name=q.name,
        strategy=q.strategy,
        skills=list(q.skills or []),
        languages=list(q.languages or []),
        member_ids=members,
        open_cases=int(open_cases or 0),
    )


def list_queues(session: Session) -> list[QueueRead]:
    return [_queue_read(session, q) for q in session.scalars(select(Queue).order_by(Queue.name))]


def create_queue(session: Session, *, data: QueueCreate) -> QueueRead:
    if session.scalar(select(Queue.id).where(Queue.name == data.name)) is not None:
        raise InvalidInputError(f"a queue named {data.name!r} exists", field="name")
    for uid in data.member_ids:
        if session.get(User, uid) is None:
            raise InvalidInputError(f"user {uid} does not exist", field="member_ids")
    q = Queue(name=data.name, strategy=data.strategy, skills=data.skills, languages=data.languages)
    session.add(q)
    session.flush()
    session.add_all([QueueMember(queue_id=q.id, user_id=u) for u in sorted(set(data.member_ids))])
    session.flush()
    return _queue_read(session, q)


def upsert_agent(session: Session, *, user_id: int, data: AgentUpdate) -> AgentRead:
    if session.get(User, user_id) is None:
        raise NotFoundError("user", user_id)
    agent = session.get(Agent, user_id)
    if agent is None:
        agent = Agent(
            user_id=user_id, capacity=10, away=False, skills=[], languages=[], in_training=False
        )
        session.add(agent)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(agent, name, value)
    session.flush()
    return AgentRead.model_validate(agent)


def list_agents(session: Session) -> list[AgentRead]:
    return [
        AgentRead.model_validate(a) for a in session.scalars(select(Agent).order_by(Agent.user_id))
    ]


def create_sla_policy(session: Session, *, data: SlaPolicyCreate) -> SlaPolicyRead:
    try:
        parse_hours(data.hours)
    except ScheduleError as exc:
        raise InvalidInputError(str(exc), field="hours") from None
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(data.timezone)
    except (KeyError, ValueError):
        raise InvalidInputError(f"unknown time zone {data.timezone!r}", field="timezone") from None
    if data.holiday_country:
        from groundswell.engagement.business_time import country_holidays

        try:
            country_holidays(data.holiday_country, [2026])
        except ScheduleError as exc:
            raise InvalidInputError(str(exc), field="holiday_country") from None
    row = SlaPolicy(**data.model_dump(), active=True)
    session.add(row)
    session.flush()
    return SlaPolicyRead.model_validate(row)


def list_sla_policies(session: Session) -> list[SlaPolicyRead]:
    return [
        SlaPolicyRead.model_validate(p)
        for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))
    ]


def create_canned(session: Session, *, data: CannedCreate, user_id: int | None) -> CannedRead:
    try:
        check_template(data.body)
    except CannedError as exc:
        raise InvalidInputError(str(exc), field="body") from None
    if session.scalar(select(CannedResponse.id).where(CannedResponse.shortcut == data.shortcut)):
        raise InvalidInputError(f"shortcut {data.shortcut!r} is taken", field="shortcut")
    row = CannedResponse(**data.model_dump(), created_by=user_id)
    session.add(row)
    session.flush()
    return CannedRead.model_validate(row)


def search_canned(session: Session, *, q: str = "", limit: int = 20) -> list[CannedRead]:
    stmt = select(CannedResponse).order_by(CannedResponse.shortcut).limit(limit)
    q = q.strip().lower()[:50]
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            func.lower(CannedResponse.shortcut).like(like)
            | func.lower(CannedResponse.name).like(like)
            | func.lower(CannedResponse.body).like(like)
        )
    return [CannedRead.model_validate(r) for r in session.scalars(stmt)]


def get_canned(session: Session, canned_id: int) -> CannedResponse:
    row = session.get(CannedResponse, canned_id)
    if row is None:
        raise InvalidInputError(f"canned response {canned_id} does not exist", field="canned_id")
    return row


def _rule_spec(r: Rule) -> RuleSpec:
    return RuleSpec.model_validate(
        {
            "id": r.id,
            "name": r.name,
            "position": r.position,
            "stop": r.stop,
            "active": r.active,
            "conditions": r.conditions,
            "actions": r.actions,
        }
    )


def _check_refs(session: Session, spec: RuleSpec) -> None:
    for i, a in enumerate(spec.actions):
        if a.type == "assign_queue" and (
            a.queue_id is None or session.get(Queue, a.queue_id) is None
        ):
            raise InvalidInputError(
                f"queue {a.queue_id} does not exist", field=f"actions.{i}.queue_id"
            )
        if a.type == "assign_agent" and (a.user_id is None or session.get(User, a.user_id) is None):
            raise InvalidInputError(
                f"user {a.user_id} does not exist", field=f"actions.{i}.user_id"
            )
        if a.type == "auto_ack" and (
            a.canned_id is None or session.get(CannedResponse, a.canned_id) is None
        ):
            raise InvalidInputError(
                f"canned response {a.canned_id} does not exist", field=f"actions.{i}.canned_id"
            )
        if a.type == "set_priority" and a.priority is None:
            raise InvalidInputError("set_priority needs a priority", field=f"actions.{i}.priority")
        if a.type == "tag" and not a.tag:
            raise InvalidInputError("tag needs a tag", field=f"actions.{i}.tag")


def create_rule(session: Session, *, spec: RuleSpec, now: datetime) -> RuleSpec:
    _check_refs(session, spec)
    row = Rule(
        name=spec.name,
        position=spec.position,
        stop=spec.stop,
        active=spec.active,
        conditions=spec.conditions.model_dump(exclude_none=True),
        actions=[a.model_dump(exclude_none=True) for a in spec.actions],
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _rule_spec(row)


def update_rule(session: Session, *, rule_id: int, spec: RuleSpec, now: datetime) -> RuleSpec:
    row = session.get(Rule, rule_id)
    if row is None:
        raise NotFoundError("rule", rule_id)
    _check_refs(session, spec)
    row.name, row.position, row.stop, row.active = spec.name, spec.position, spec.stop, spec.active
    row.conditions = spec.conditions.model_dump(exclude_none=True)
    row.actions = [a.model_dump(exclude_none=True) for a in spec.actions]
    row.updated_at = now
    return _rule_spec(row)


def delete_rule(session: Session, *, rule_id: int) -> None:
    row = session.get(Rule, rule_id)
    if row is None:
        raise NotFoundError("rule", rule_id)
    session.delete(row)


def list_rules(session: Session) -> list[RuleSpec]:
    return [_rule_spec(r) for r in session.scalars(select(Rule).order_by(Rule.position, Rule.id))]
