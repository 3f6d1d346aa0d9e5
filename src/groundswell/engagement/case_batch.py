"""What the rules stage reads once per broker batch instead of once per interaction.

Opening or joining a case, assigning it and starting its SLA clock each asked the
database a few small questions (the conversation's case, the contact's active case,
the agents' loads, the SLA policies, whether the contact has a customer value). At 200
posts/s those round trips, not the rules, were the cost. ``CaseBatch.load`` asks each
question once for the whole batch; the case functions then read the answers here and
keep them current as the batch opens, links and assigns cases, so each interaction
gives the answer the per-interaction queries would have given.

The answers describe the transaction's state: after a savepoint is rolled back (one
interaction failed) the caller loads a fresh ``CaseBatch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from groundswell.crm.clv.models import CustomerValue
from groundswell.engagement import lifecycle
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Agent, Case, CaseConversation, Queue, QueueMember


@dataclass
class CaseBatch:
    conversation_case: dict[int, Case] = field(default_factory=dict)
    """Each conversation of the batch → its latest case (highest id)."""
    active_case: dict[int, Case] = field(default_factory=dict)
    """Each contact of the batch → its latest active case."""
    links: set[tuple[int, int]] = field(default_factory=set)
    """(case id, conversation id) pairs known to exist."""
    valued_contacts: set[int] = field(default_factory=set)
    """Contacts of the batch with a customer value row (others get the neutral value)."""
    policies: list[SlaPolicy] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)
    """Queue id → member user ids, in the order the database returned them."""
    agents: dict[int, Agent] = field(default_factory=dict)
    base_load: dict[int, int] = field(default_factory=dict)
    """Active cases per queue member when the batch was loaded."""
    queues: list[Queue] = field(default_factory=list)
    """Held so the session's identity map keeps them: ``session.get`` then finds them
    without a query (the map holds unchanged objects weakly)."""
    ids: list[int] = field(default_factory=list)
    """Case ids taken from PostgreSQL's sequence ahead of their insert."""
    _before: dict[int, tuple[int | None, bool]] = field(default_factory=dict)
    _cases: dict[int, Case] = field(default_factory=dict)

    @classmethod
    def load(
        cls, session: Session, *, conversation_ids: Iterable[int], contact_ids: Iterable[int]
    ) -> CaseBatch:
        """One query per question for the whole batch."""
        batch = cls()
        conversations = sorted(set(conversation_ids))
        contacts = sorted(set(contact_ids))
        if conversations:
            for conversation_id, case in session.execute(
                select(CaseConversation.conversation_id, Case)
                .join(Case, Case.id == CaseConversation.case_id)
                .where(CaseConversation.conversation_id.in_(conversations))
            ).all():
                batch.links.add((case.id, conversation_id))
                batch.seen(case)
                known = batch.conversation_case.get(conversation_id)
                if known is None or case.id > known.id:
                    batch.conversation_case[conversation_id] = case
        if contacts:
            for case in session.scalars(
                select(Case).where(Case.contact_id.in_(contacts), Case.status.in_(lifecycle.ACTIVE))
            ).all():
                batch.seen(case)
                assert case.contact_id is not None
                known = batch.active_case.get(case.contact_id)
                if known is None or case.id > known.id:
                    batch.active_case[case.contact_id] = case
            batch.valued_contacts = set(
                session.scalars(
                    select(CustomerValue.contact_id).where(CustomerValue.contact_id.in_(contacts))
                ).all()
            )
        batch.policies = list(session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True))))
        batch.queues = list(session.scalars(select(Queue)))
        for queue_id, user_id in session.execute(
            select(QueueMember.queue_id, QueueMember.user_id)
        ).all():
            batch.members.setdefault(queue_id, []).append(user_id)
        users = sorted({u for us in batch.members.values() for u in us})
        if users:
            batch.agents = {
                a.user_id: a for a in session.scalars(select(Agent).where(Agent.user_id.in_(users)))
            }
            batch.base_load = {
                int(u): int(n)
                for u, n in session.execute(
                    select(Case.assignee_id, func.count())
                    .where(Case.assignee_id.in_(users), Case.status.in_(lifecycle.ACTIVE))
                    .group_by(Case.assignee_id)
                ).all()
                if u is not None
            }
        return batch

    def seen(self, case: Case, *, new: bool = False) -> None:
        """Remember how ``case`` counted towards its assignee's load before the batch."""
        if case.id not in self._before:
            self._before[case.id] = (
                (None, False) if new else (case.assignee_id, case.status in lifecycle.ACTIVE)
            )
        self._cases[case.id] = case

    ID_CHUNK = 16

    def new_case_id(self, session: Session) -> int | None:
        """On PostgreSQL, an id for a new case from the table's sequence (taken 16 at a time),
        so the case needs no flush of its own: the batch's rows go in together at its end.
        None on SQLite (no sequence; there the insert assigns the id, which is cheap)."""
        if session.get_bind().dialect.name != "postgresql":
            return None
        if not self.ids:
            # a plain statement on the connection: no autoflush of the pending rows
            self.ids = list(
                session.connection()
                .execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('eng_cases', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": self.ID_CHUNK},
                )
                .scalars()
            )
        return self.ids.pop(0)

    def case(self, case_id: int) -> Case | None:
        return self._cases.get(case_id)

    def active_of(self, contact_id: int) -> Case | None:
        case = self.active_case.get(contact_id)
        return case if case is not None and case.status in lifecycle.ACTIVE else None

    def note(self, case: Case, conversation_id: int | None) -> None:
        """``case`` was opened, reopened or linked to ``conversation_id`` in this batch."""
        self.seen(case)
        if conversation_id is not None:
            self.links.add((case.id, conversation_id))
            known = self.conversation_case.get(conversation_id)
            if known is None or case.id > known.id:
                self.conversation_case[conversation_id] = case
        if case.contact_id is not None and case.status in lifecycle.ACTIVE:
            known = self.active_of(case.contact_id)
            if known is None or case.id > known.id:
                self.active_case[case.contact_id] = case

    def load_of(self, users: list[int]) -> dict[int, int]:
        """Active cases per user now: the loaded count, corrected by the cases this batch
        touched (a new case assigned, a case reopened or reassigned)."""
        loads = {u: self.base_load.get(u, 0) for u in users}
        for case_id, (was_user, was_active) in self._before.items():
            case = self._cases[case_id]
            if was_active and was_user in loads:
                loads[was_user] -= 1
            if case.status in lifecycle.ACTIVE and case.assignee_id in loads:
                loads[case.assignee_id] += 1
        return loads
