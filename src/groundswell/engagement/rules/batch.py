"""One broker batch of the rules stage, read and written as a set.

Before: which interactions of the batch were already applied (a redelivery), the
interactions with their channel, and the case lookups of ``CaseBatch`` — one query
each. After: the batch's ``eng_rule_applications`` rows (the idempotence record) in one
insert, in the same transaction as the cases they describe, so a crash mid-batch leaves
neither cases without their record nor a record without its cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.crm.models import Interaction
from groundswell.engagement.case_batch import CaseBatch
from groundswell.engagement.config_models import RuleApplication


@dataclass
class RulesBatch:
    applied: set[int]
    """Interactions already applied: in the database, or earlier in this batch."""
    rows: dict[int, tuple[Interaction, str]]
    """Interaction id → (row, channel key), inbound or not."""
    cases: CaseBatch
    pending: list[dict[str, object]] = field(default_factory=list)
    """Application rows of the interactions done so far, written by ``write``."""

    @classmethod
    def load(cls, session: Session, interaction_ids: Sequence[int]) -> RulesBatch:
        ids = sorted(set(interaction_ids))
        applied = set(
            session.scalars(
                select(RuleApplication.interaction_id)
                .where(RuleApplication.interaction_id.in_(ids))
                .distinct()
            ).all()
        )
        rows = {
            row.id: (row, key)
            for row, key in session.execute(
                select(Interaction, Channel.key)
                .join(Channel, Channel.id == Interaction.channel_id)
                .where(Interaction.id.in_(ids))
            ).all()
        }
        batch = cls(applied=applied, rows=rows, cases=CaseBatch())
        batch.reload_cases(session)
        return batch

    def reload_cases(self, session: Session) -> None:
        """Ask the case questions again (after a savepoint rollback undid some answers)."""
        todo = [row for i, (row, _key) in self.rows.items() if i not in self.applied]
        self.cases = CaseBatch.load(
            session,
            conversation_ids=[r.conversation_id for r in todo if r.conversation_id is not None],
            contact_ids=[r.contact_id for r in todo if r.contact_id is not None],
        )

    def add(self, *, interaction_id: int, rule_id: int, case_id: int | None, at: datetime) -> None:
        self.pending.append(
            {"interaction_id": interaction_id, "rule_id": rule_id, "case_id": case_id, "at": at}
        )

    def write(self, session: Session) -> None:
        if self.pending:
            session.execute(insert(RuleApplication), self.pending)
            self.pending = []
