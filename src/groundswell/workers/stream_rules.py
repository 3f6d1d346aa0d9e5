"""Keep an X filtered stream's rules equal to the active subjects' queries.

One rule per subject, tagged ``gs:subject:<id>``; a subject whose query X cannot express
gets no rule and is reported (the stream then misses it: its posts still arrive through
mentions, imports and other channels). ``widened`` lists what was loosened; the subject
matcher filters the surplus after ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.enrichment.query import QuerySyntaxError, parse_query
from groundswell.enrichment.query_x import to_x_rule
from groundswell.listening.models import Subject


@dataclass
class RulesPlan:
    wanted: dict[str, str] = field(default_factory=dict)
    """Tag → rule value."""
    notes: list[str] = field(default_factory=list)
    """One line per subject that was widened or left out, naming the subject and why."""


def plan_x_rules(session: Session) -> RulesPlan:
    plan = RulesPlan()
    subjects = session.scalars(select(Subject).where(Subject.active.is_(True)).order_by(Subject.id))
    for subject in subjects:
        try:
            rule = to_x_rule(parse_query(subject.query).root)
        except QuerySyntaxError as exc:
            plan.notes.append(f"{subject.name}: query does not parse ({exc})")
            continue
        if rule.value is None:
            plan.notes.append(f"{subject.name}: no stream rule — {rule.error}")
            continue
        plan.wanted[f"gs:subject:{subject.id}"] = rule.value
        for widened in rule.widened:
            plan.notes.append(f"{subject.name}: widened — {widened}")
    return plan
