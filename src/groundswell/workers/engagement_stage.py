"""The engagement stage: rules on every stored interaction, from the broker's events.

Consumes ``interaction.stored`` events (published by the process stage after its
commit) in its own consumer group, so rules never run inside the ingest transaction and
a slow rule delays only cases, not ingestion. Each broker batch is one transaction with
a savepoint per interaction; the rules service is idempotent, so a redelivered event
does nothing twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from groundswell.channels.base import Capabilities
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.registry import registry as default_registry
from groundswell.core.brokers import Broker, Message
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.metrics import DEAD_LETTERS, STAGE_SECONDS
from groundswell.engagement.rules.batch import RulesBatch
from groundswell.engagement.rules.engine import RuleSet
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.ingestion.service import events_stream
from groundswell.settings import Settings
from groundswell.workers.runner import BatchOutcome, ConsumerLoop

log = logging.getLogger(__name__)

ENGAGEMENT_GROUP = "engagement"


class EngagementStage:
    RULES_REFRESH_S = 5.0

    def __init__(
        self,
        db: Database,
        registry: ConnectorRegistry | None = None,
        *,
        reopen_window: timedelta = timedelta(hours=72),
        horizon: timedelta | None = None,
    ) -> None:
        self.db = db
        self.reopen_window = reopen_window
        self.horizon = horizon
        self.registry = registry or default_registry
        self._rules = RuleSet()
        self._loaded_at = -1e9

    def rules(self) -> RuleSet:
        now = time.monotonic()
        if now - self._loaded_at > self.RULES_REFRESH_S:
            with self.db.session() as session:
                self._rules = load_rules(session)
            self._loaded_at = now
        return self._rules

    def handle(self, messages: list[Message]) -> BatchOutcome:
        """One transaction per batch (one commit, not one per post, is what lets the
        stage keep up with ingestion). The batch is read as a set (``RulesBatch``:
        applied already, interactions, case lookups, one query each) and its
        application records are written in one insert before the commit.

        The whole batch is tried first without savepoints, so its rows are flushed
        together; if anything in it fails, that attempt is rolled back and the batch is
        applied again with a savepoint per interaction: the failing one is rolled back
        alone and stays pending, the others commit together."""
        ruleset = self.rules()
        caps = {k: self.registry.capabilities(k) for k in self.registry.keys()}  # noqa: SIM118
        outcome = BatchOutcome()
        work: list[tuple[str, int]] = []
        for message in messages:
            try:
                event = orjson.loads(message.payload)
            except orjson.JSONDecodeError:
                outcome.done.append(message.id)
                continue
            if (
                not isinstance(event, dict)
                or event.get("type") != "interaction.stored"
                or event.get("direction") != "in"
                or not isinstance(event.get("id"), int)
            ):
                outcome.done.append(message.id)
                continue
            work.append((message.id, int(event["id"])))
        if not work:
            return outcome
        now = utcnow()
        with STAGE_SECONDS.labels("engagement").time(), self.db.session(write=True) as session:
            try:
                self._apply_all(session, work, ruleset=ruleset, now=now, caps=caps)
            except Exception:
                session.rollback()
                self.db.begin_write(session)
                log.info("rules batch failed as a whole; applying it one interaction at a time")
            else:
                outcome.done.extend(m for m, _i in work)
                return outcome
            batch = RulesBatch.load(session, [i for _m, i in work])
            ok: list[str] = []
            for message_id, interaction_id in work:
                mark = len(batch.pending)
                try:
                    with session.begin_nested():
                        apply_rules(
                            session,
                            interaction_id=interaction_id,
                            ruleset=ruleset,
                            now=now,
                            capabilities=caps,
                            reopen_window=self.reopen_window,
                            batch=batch,
                            horizon=self.horizon,
                        )
                    batch.applied.add(interaction_id)
                    ok.append(message_id)
                except Exception as exc:
                    del batch.pending[mark:]
                    batch.reload_cases(session)
                    log.warning(
                        "rules failed for interaction %s: %s",
                        interaction_id,
                        type(exc).__name__,
                        exc_info=True,
                    )
                    outcome.failed[message_id] = f"{type(exc).__name__}: {exc}"[:500]
            batch.write(session)
        outcome.done.extend(ok)
        return outcome

    def _apply_all(
        self,
        session: Session,
        work: list[tuple[str, int]],
        *,
        ruleset: RuleSet,
        now: datetime,
        caps: dict[str, Capabilities],
    ) -> None:
        batch = RulesBatch.load(session, [i for _m, i in work])
        for _message_id, interaction_id in work:
            apply_rules(
                session,
                interaction_id=interaction_id,
                ruleset=ruleset,
                now=now,
                capabilities=caps,
                reopen_window=self.reopen_window,
                batch=batch,
                horizon=self.horizon,
            )
            batch.applied.add(interaction_id)
        batch.write(session)
        session.flush()

    def dead_letter(self, message: Message, reason: str) -> None:
        DEAD_LETTERS.labels("events").inc()
        log.warning("engagement event %s dropped after retries: %s", message.id, reason)


def engagement_loop(
    settings: Settings,
    db: Database,
    broker: Broker,
    *,
    consumer: str,
    registry: ConnectorRegistry | None = None,
) -> tuple[ConsumerLoop, EngagementStage]:
    stage = EngagementStage(
        db,
        registry,
        reopen_window=timedelta(hours=settings.case_reopen_window_hours),
        horizon=timedelta(minutes=settings.case_horizon_minutes),
    )
    stream = events_stream(settings)
    broker.ensure_group(stream, ENGAGEMENT_GROUP)
    loop = ConsumerLoop(
        broker,
        stream=stream,
        group=ENGAGEMENT_GROUP,
        consumer=consumer,
        handler=stage.handle,
        dead_letter=stage.dead_letter,
        batch_size=200,
        block_ms=500,
        reclaim_idle_ms=settings.reclaim_idle_ms,
        max_deliveries=settings.max_deliveries,
    )
    return loop, stage
