"""Alert rules: who is told about which spikes, and their create/read/update/delete.

Rules decide notifications only. Every alert is shown in the app whatever the rules
say; a rule adds email, webhook, Slack or in-app deliveries for the alerts it matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.core.outbound import OutboundPolicy, OutboundRefusedError
from groundswell.listening.alerts.models import AlertRule
from groundswell.listening.alerts.redaction import is_masked, mask_url
from groundswell.listening.alerts.schemas import (
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    AlertTarget,
)


@dataclass(frozen=True, slots=True)
class RuleView:
    """An active rule as the lifecycle needs it, detached from the session."""

    id: int
    subject_ids: frozenset[int] | None
    metrics: frozenset[str]
    min_severity: int
    targets: tuple[tuple[str, str], ...]

    def covers(self, subject_id: int, metric: str) -> bool:
        in_scope = self.subject_ids is None or subject_id in self.subject_ids
        return in_scope and metric in self.metrics

    def matches(self, subject_id: int, metric: str, severity: int) -> bool:
        return self.covers(subject_id, metric) and severity >= self.min_severity


def _view(rule: AlertRule) -> RuleView:
    targets = tuple(
        (str(t.get("kind", "")), str(t.get("to", "")))
        for t in rule.targets or []
        if isinstance(t, dict)
    )
    return RuleView(
        id=rule.id,
        subject_ids=None if rule.subject_ids is None else frozenset(rule.subject_ids),
        metrics=frozenset(rule.metrics or ()),
        min_severity=rule.min_severity,
        targets=targets,
    )


def load_active_rules(session: Session) -> list[RuleView]:
    rows = session.scalars(select(AlertRule).where(AlertRule.active.is_(True)))
    return [_view(r) for r in rows]


def list_rules(session: Session) -> list[AlertRuleRead]:
    rows = session.scalars(select(AlertRule).order_by(AlertRule.id))
    return [AlertRuleRead.model_validate(r) for r in rows]


def get_rule(session: Session, *, rule_id: int) -> AlertRuleRead:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError("alert rule", rule_id)
    return AlertRuleRead.model_validate(rule)


def _targets(data: Sequence[Any]) -> list[dict[str, Any]]:
    return [t.model_dump() for t in data]


def keep_saved_urls(
    saved: Sequence[dict[str, Any]], targets: Sequence[AlertTarget]
) -> list[AlertTarget]:
    """Targets as submitted, where one sent back in its masked form keeps the saved URL.

    Reads show webhook and Slack URLs masked (``redaction.py``), so an edit form or a
    client that sends a rule back unchanged sends ``https://host/…``: that means "keep
    the URL saved for this target". A masked URL that matches no saved target of the same
    kind and host is refused, never stored.
    """
    unused = [(str(t.get("kind")), str(t.get("to"))) for t in saved]
    kept: list[AlertTarget] = []
    for index, target in enumerate(targets):
        if target.kind in ("webhook", "slack") and is_masked(target.to):
            match = next(
                (s for s in unused if s[0] == target.kind and mask_url(s[1]) == target.to), None
            )
            if match is None:
                raise InvalidInputError(
                    "this URL is masked (it ends in /…); paste the whole URL",
                    field=f"targets.{index}.to",
                )
            unused.remove(match)
            target = target.model_copy(update={"to": match[1]})
        kept.append(target)
    return kept


def check_targets(targets: Sequence[AlertTarget], outbound: OutboundPolicy) -> None:
    """Refuse a webhook or Slack target the server must not post to (see core.outbound)."""
    for index, target in enumerate(targets):
        if target.kind not in ("webhook", "slack"):
            continue
        if is_masked(target.to):
            raise InvalidInputError(
                "this URL is masked (it ends in /…); paste the whole URL",
                field=f"targets.{index}.to",
            )
        try:
            outbound.check_url(target.to, must_resolve=False)
        except OutboundRefusedError as exc:
            raise InvalidInputError(str(exc), field=f"targets.{index}.to") from None


def create_rule(
    session: Session, *, data: AlertRuleCreate, outbound: OutboundPolicy
) -> AlertRuleRead:
    check_targets(data.targets, outbound)
    rule = AlertRule(
        name=data.name,
        subject_ids=data.subject_ids,
        metrics=list(data.metrics),
        min_severity=data.min_severity,
        targets=_targets(data.targets),
        active=data.active,
        created_at=utcnow(),
    )
    session.add(rule)
    session.flush()
    return AlertRuleRead.model_validate(rule)


def update_rule(
    session: Session, *, rule_id: int, data: AlertRuleUpdate, outbound: OutboundPolicy
) -> AlertRuleRead:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError("alert rule", rule_id)
    targets = None
    if data.targets is not None:
        targets = keep_saved_urls(rule.targets or [], data.targets)
        check_targets(targets, outbound)
    present = data.model_fields_set
    if data.name is not None:
        rule.name = data.name
    if "subject_ids" in present:
        rule.subject_ids = data.subject_ids
    if data.metrics is not None:
        rule.metrics = list(data.metrics)
    if data.min_severity is not None:
        rule.min_severity = data.min_severity
    if targets is not None:
        rule.targets = _targets(targets)
    if data.active is not None:
        rule.active = data.active
    session.flush()
    return AlertRuleRead.model_validate(rule)


def delete_rule(session: Session, *, rule_id: int) -> None:
    """Delete a rule; its past deliveries stay, with ``rule_id`` set to null."""
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError("alert rule", rule_id)
    session.delete(rule)
    session.flush()
