"""The demo's care team at work, so the Team dashboard has figures from the first minutes.

Every little while Ann (or the case's own agent) answers a case that has waited a few
minutes (the one whose target comes first and can still be met, else the oldest),
resolves cases answered a while ago (which sends the CSAT link) and, as a customer
would, answers some of those surveys. Everything goes through engagement's own
actions, so the figures are computed exactly as for cases answered by hand; the freshest
cases are left alone for a visitor to answer in the inbox.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from groundswell.auth.models import User
from groundswell.channels.base import Capabilities
from groundswell.channels.registry import ConnectorRegistry, UnknownChannel
from groundswell.channels.registry import registry as process_registry
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.errors import GroundswellError
from groundswell.engagement import actions, csat
from groundswell.engagement.config_models import CannedResponse
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import CsatSurvey
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.settings import Settings

log = logging.getLogger(__name__)

WORKER_EMAIL = "ann@groundswell.local"
OPEN = ("new", "open")
SCORES = (5, 4, 5, 3, 4, 5, 2, 4)
"""Survey answers, picked by case id: mostly satisfied, not always."""


class TeamAtWork:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        speed: float,
        connectors: ConnectorRegistry | None = None,
        answer_after: timedelta = timedelta(minutes=3),
        resolve_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.db = db
        self.settings = settings
        self.speed = max(speed, 0.1)
        self.connectors = connectors or process_registry
        self.answer_after = answer_after
        self.resolve_after = resolve_after

    def caps_of(self, channel: str) -> Capabilities | None:
        try:
            return self.connectors.capabilities(channel)
        except UnknownChannel:
            return None

    def step(self, *, now: datetime, batch: int = 2) -> tuple[int, int, int]:
        """Answer, resolve and survey a few cases; returns how many of each.

        The choice is read first and each action is its own short write transaction: the
        team shares SQLite's one write lock with the pipeline storing posts and with
        visitors answering in the inbox, so it never holds it for a whole round."""
        with self.db.session() as s:
            ann = s.scalar(select(User).where(User.email == WORKER_EMAIL))
            if ann is None:
                return 0, 0, 0
            actor = actions.Actor(id=ann.id, role=ann.role, name=ann.name or "Ann")
            canned = {c.shortcut: c.id for c in s.scalars(select(CannedResponse))}
            unanswered = (
                Case.status.in_(OPEN),
                Case.first_responded_at.is_(None),
                Case.opened_at <= now - self.answer_after,
            )
            # As a team on a clock works: the case whose target comes first and can still
            # be met, then the oldest. Oldest-first spent the team on cases already past
            # their target (the history's), and every answer counted as a breach.
            waiting = list(
                s.scalars(
                    select(Case.id)
                    .where(*unanswered, Case.next_due_at > now)
                    .order_by(Case.next_due_at, Case.id)
                    .limit(batch)
                ).all()
            )
            if len(waiting) < batch:
                waiting += s.scalars(
                    select(Case.id)
                    .where(*unanswered, Case.id.not_in(waiting or [0]))
                    .order_by(Case.opened_at, Case.id)
                    .limit(batch - len(waiting))
                ).all()
            ripe = s.scalars(
                select(Case.id)
                .where(
                    Case.status.in_(OPEN),
                    Case.first_responded_at.is_not(None),
                    Case.first_responded_at <= now - self.resolve_after,
                )
                .order_by(Case.first_responded_at)
                .limit(batch)
            ).all()
        answered = sum(
            self._answer(case_id, actor, canned.get("looking"), now) for case_id in waiting
        )
        resolved = sum(self._resolve(case_id, actor, now) for case_id in ripe)
        return answered, resolved, self._survey(now, batch)

    def _answer(
        self, case_id: int, actor: actions.Actor, canned: int | None, now: datetime
    ) -> bool:
        try:
            with self.db.session(write=True) as s:
                case = s.get(Case, case_id)
                if case is None or case.first_responded_at is not None or case.status not in OPEN:
                    return False  # answered or closed since it was chosen
                actions.reply(
                    s,
                    case_id=case_id,
                    actor=actor,
                    caps_of=self.caps_of,
                    now=now,
                    canned_id=canned,
                    text=None if canned else "We're looking into it.",
                )
        except (ReplyRefused, GroundswellError) as exc:
            # Someone answered or closed it meanwhile, or the channel refuses: skip it.
            log.info("demo team skipped case %s: %s", case_id, exc)
            return False
        return True

    def _resolve(self, case_id: int, actor: actions.Actor, now: datetime) -> bool:
        try:
            with self.db.session(write=True) as s:
                case = s.get(Case, case_id)
                if case is None or case.status not in OPEN:
                    return False  # resolved or closed since it was chosen
                actions.resolve(
                    s,
                    case_id=case_id,
                    actor=actor,
                    caps_of=self.caps_of,
                    now=now,
                    secret=self.settings.secret_key.get_secret_value(),
                    public_url=self.settings.public_url,
                )
        except GroundswellError as exc:
            log.info("demo team could not resolve case %s: %s", case_id, exc)
            return False
        return True

    def _survey(self, now: datetime, batch: int) -> int:
        secret = self.settings.secret_key.get_secret_value()
        surveyed = 0
        with self.db.session(write=True) as s:
            open_surveys = s.scalars(
                select(CsatSurvey)
                .where(CsatSurvey.answered_at.is_(None), CsatSurvey.expires_at > now)
                .order_by(CsatSurvey.id)
                .limit(batch)
            ).all()
            for survey in open_surveys:
                if survey.case_id % 3 == 0:
                    continue  # not every customer answers
                try:
                    with s.begin_nested():
                        csat.answer(
                            s,
                            token=csat.token_of(survey, secret),
                            secret=secret,
                            score=SCORES[survey.case_id % len(SCORES)],
                            comment=None,
                            now=now,
                        )
                    surveyed += 1
                except csat.CsatRefused:
                    continue
        return surveyed

    def run(self, stop: threading.Event) -> None:
        pause = max(5.0, 30.0 / self.speed)
        while not stop.wait(pause):
            try:
                self.step(now=utcnow())
            except Exception:
                log.exception("demo team step failed")


def start(app: FastAPI, *, speed: float, stop: threading.Event) -> threading.Thread:
    team = TeamAtWork(
        app.state.db,
        app.state.settings,
        speed=speed,
        connectors=getattr(app.state, "connectors", None),
    )
    thread = threading.Thread(
        target=team.run, args=(stop,), name="groundswell-demo-team", daemon=True
    )
    thread.start()
    return thread
