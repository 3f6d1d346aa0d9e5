"""Applying rules to stored interactions: facts from the row, actions on cases.

Runs from the engagement stage on each ``interaction.stored`` event, never inside the
ingest transaction. Idempotent under redelivery: the first application writes
``eng_rule_applications`` rows (0 = evaluated, nothing matched) and a second delivery of
the same event finds them and does nothing. An action that fails is logged and skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.base import Capabilities
from groundswell.channels.models import Channel
from groundswell.crm.models import Interaction
from groundswell.engagement import cases
from groundswell.engagement.business_time import is_open
from groundswell.engagement.canned import CannedError, render_canned, variables_for
from groundswell.engagement.case_batch import CaseBatch
from groundswell.engagement.config_models import CannedResponse, Rule, RuleApplication
from groundswell.engagement.models import Case
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.engagement.rules.batch import RulesBatch
from groundswell.engagement.rules.engine import Facts, RuleSet, compile_rules
from groundswell.engagement.rules.spec import RuleSpec
from groundswell.engagement.sla import schedule_of
from groundswell.notify.models import Delivery

log = logging.getLogger(__name__)

DEFAULT_HORIZON = timedelta(days=1)
"""The settings' default ``case_horizon_minutes``, for callers without settings."""


def load_rules(session: Session) -> RuleSet:
    rows = session.scalars(select(Rule).where(Rule.active.is_(True))).all()
    specs = []
    for r in rows:
        try:
            specs.append(
                RuleSpec.model_validate(
                    {
                        "id": r.id,
                        "name": r.name,
                        "position": r.position,
                        "stop": r.stop,
                        "conditions": r.conditions,
                        "actions": r.actions,
                    }
                )
            )
        except ValueError:
            log.warning("rule %s is not valid any more; skipped", r.id)
    return compile_rules(specs)


def facts_of(
    session: Session,
    row: Interaction,
    channel: str,
    *,
    business_hours: bool,
    known_customer: bool | None = None,
) -> Facts:
    intents = set((row.intents or {}).keys())
    if row.intent:
        intents.add(row.intent)
    return Facts(
        interaction_id=row.id,
        channel=channel,
        text=row.text,
        direction=row.direction,
        subject_ids=frozenset(row.subject_ids or ()),
        sentiment_label=row.sentiment_label,
        sentiment_score=row.sentiment_score,
        intents=frozenset(intents),
        language=row.language,
        influence=float(row.influence or 0.0),
        known_customer=(
            cases.known_customer(session, row.contact_id)
            if known_customer is None
            else known_customer
        ),
        business_hours=business_hours,
    )


def apply_rules(
    session: Session,
    *,
    interaction_id: int,
    ruleset: RuleSet,
    now: datetime,
    capabilities: dict[str, Capabilities] | None = None,
    reopen_window: timedelta = cases.DEFAULT_REOPEN_WINDOW,
    batch: RulesBatch | None = None,
    horizon: timedelta | None = DEFAULT_HORIZON,
) -> Case | None:
    """Evaluate and act; returns the case touched, if any.

    ``horizon``: a post older than this (by its own time) is remembered but never acted
    on: an import of last year's posts, or a first sync that fetches a month of history,
    must not fill the inbox with cases already long past any SLA. It is recorded as
    applied with nothing matched, so a redelivery does not act on it either.

    With a ``batch`` (the stage) the lookups come from what it loaded for the whole
    batch and the application rows are left to ``batch.write``; the caller marks the
    interaction applied once its savepoint is released.
    """
    if batch is not None:
        if interaction_id in batch.applied:
            return None
        found = batch.rows.get(interaction_id)
    else:
        done = session.scalar(
            select(RuleApplication.id)
            .where(RuleApplication.interaction_id == interaction_id)
            .limit(1)
        )
        if done is not None:
            return None
        one = session.execute(
            select(Interaction, Channel.key)
            .join(Channel, Channel.id == Interaction.channel_id)
            .where(Interaction.id == interaction_id)
        ).first()
        found = (one[0], one[1]) if one is not None else None
    if found is None or found[0].direction != "in":
        return None
    row, channel = found
    if horizon is not None and row.created_at < now - horizon:
        _applied(session, batch, interaction_id=interaction_id, rule_id=0, case_id=None, at=now)
        if batch is None:
            session.flush()
        return None
    case_batch = batch.cases if batch is not None else None
    facts = facts_of(
        session,
        row,
        channel,
        business_hours=is_open(schedule_of(None), now),
        known_customer=None if ruleset.needs_known_customer else False,
    )
    matches = ruleset.evaluate(facts)
    case: Case | None = None
    # A message on a conversation that already has a case joins it, rule or not.
    if not matches and _has_case(session, row, case_batch):
        case, _ = cases.open_or_attach(
            session,
            interaction=row,
            channel=channel,
            now=now,
            reopen_window=reopen_window,
            batch=case_batch,
            since=row.created_at,
        )
    for match in matches:
        for action in match.actions:
            try:
                case = _act(
                    session,
                    action.type,
                    action,
                    row=row,
                    channel=channel,
                    case=case,
                    now=now,
                    capabilities=capabilities or {},
                    reopen_window=reopen_window,
                    batch=case_batch,
                )
            except (ValueError, ReplyRefused, CannedError) as exc:
                log.warning("rule %s action %s skipped: %s", match.rule_id, action.type, exc)
        _applied(
            session,
            batch,
            interaction_id=interaction_id,
            rule_id=match.rule_id,
            case_id=case.id if case else None,
            at=now,
        )
        if case is not None:
            cases.record(
                session,
                case,
                "rule",
                actor_id=None,
                now=now,
                rule_id=match.rule_id,
                rule=match.rule_name,
            )
    if not matches:
        _applied(
            session,
            batch,
            interaction_id=interaction_id,
            rule_id=0,
            case_id=case.id if case else None,
            at=now,
        )
    if batch is None:
        session.flush()  # with a batch, its savepoint or its final flush writes the rows
    return case


def _has_case(session: Session, row: Interaction, batch: CaseBatch | None) -> bool:
    if row.conversation_id is None:
        return False
    if batch is not None:
        return row.conversation_id in batch.conversation_case
    return cases.case_of_conversation(session, row.conversation_id) is not None


def _applied(
    session: Session,
    batch: RulesBatch | None,
    *,
    interaction_id: int,
    rule_id: int,
    case_id: int | None,
    at: datetime,
) -> None:
    if batch is not None:
        batch.add(interaction_id=interaction_id, rule_id=rule_id, case_id=case_id, at=at)
    else:
        session.add(
            RuleApplication(interaction_id=interaction_id, rule_id=rule_id, case_id=case_id, at=at)
        )


def _act(
    session: Session,
    kind: str,
    action: object,
    *,
    row: Interaction,
    channel: str,
    case: Case | None,
    now: datetime,
    capabilities: dict[str, Capabilities],
    reopen_window: timedelta,
    batch: CaseBatch | None = None,
) -> Case | None:
    from groundswell.engagement.rules.spec import Action

    assert isinstance(action, Action)
    # Routing and acknowledging imply a case; tagging and priority act on the case the
    # message already belongs to (by its conversation), and are skipped when there is none.
    if case is None and kind in ("set_priority", "tag") and _has_case(session, row, batch):
        case, _ = cases.open_or_attach(
            session,
            interaction=row,
            channel=channel,
            now=now,
            reopen_window=reopen_window,
            batch=batch,
            since=row.created_at,
        )
    if kind == "open_case" or (
        case is None and kind in ("assign_queue", "assign_agent", "auto_ack")
    ):
        case, _ = cases.open_or_attach(
            session,
            interaction=row,
            channel=channel,
            now=now,
            reopen_window=reopen_window,
            batch=batch,
            since=row.created_at,
        )
        if kind == "open_case":
            return case
    if kind == "assign_queue" and case is not None and action.queue_id is not None:
        cases.assign(
            session,
            case_id=case.id,
            actor_id=None,
            now=now,
            queue_id=action.queue_id,
            auto=case.assignee_id is None,
            batch=batch,
        )
    elif kind == "assign_agent" and case is not None and action.user_id is not None:
        cases.assign(session, case_id=case.id, actor_id=None, now=now, user_id=action.user_id)
    elif kind == "set_priority" and case is not None and action.priority:
        cases.set_priority(
            session, case=case, level=action.priority, actor_id=None, now=now, batch=batch
        )
    elif kind == "tag" and case is not None and action.tag:
        cases.set_tags(
            session,
            case_id=case.id,
            add=[action.tag],
            remove=[],
            actor_id=None,
            now=now,
            batch=batch,
        )
    elif kind == "auto_ack" and case is not None and action.canned_id is not None:
        from groundswell.engagement.replies import Author, queue_reply

        canned = session.get(CannedResponse, action.canned_id)
        caps = capabilities.get(channel)
        if canned is None or caps is None:
            raise ValueError(f"no canned response {action.canned_id} or no connector for {channel}")
        text = render_canned(
            canned.body,
            variables_for(
                contact_name=cases.contact_name(session, case.contact_id),
                handle=None,
                agent_name=None,
                case_id=case.id,
            ),
        )
        queue_reply(
            session,
            case_id=case.id,
            author=Author(None, "admin"),
            text=text,
            caps=caps,
            now=now,
            kind="ack",
        )
    elif kind == "notify":
        session.add(
            Delivery(
                alert_id=None,
                rule_id=None,
                event="rule_matched",
                kind=action.notify_kind or "in_app",
                target=action.notify_to or "",
                payload={
                    "title": f"Rule matched on {channel}",
                    "lines": [row.text[:300]],
                    "interaction_id": row.id,
                    "case_id": case.id if case else None,
                },
            )
        )
    return case


def dry_run(session: Session, *, spec: RuleSpec, last: int) -> list[tuple[Interaction, str, bool]]:
    """Which of the last ``last`` inbound interactions the rule would have matched."""
    ruleset = compile_rules([spec.model_copy(update={"stop": False, "active": True})])
    rows = session.execute(
        select(Interaction, Channel.key)
        .join(Channel, Channel.id == Interaction.channel_id)
        .where(Interaction.direction == "in")
        .order_by(Interaction.id.desc())
        .limit(last)
    ).all()
    out = []
    for row, key in rows:
        facts = facts_of(session, row, key, business_hours=True)
        out.append((row, key, bool(ruleset.evaluate(facts))))
    return out
