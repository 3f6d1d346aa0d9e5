"""CSAT: a signed, single-use, expiring survey link sent on resolution; a public answer.

The token is signed with the app's secret (itsdangerous, as the session cookie) and
names a survey row by id and a random nonce; answering stamps ``answered_at``, so a
second use is refused, and the signature's age bounds the link's life.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from groundswell.engagement.models import CaseEvent
from groundswell.engagement.reply_models import CsatSurvey

SALT = "groundswell.csat"


class CsatRefused(ValueError):
    def __init__(self, reason: str, *, status: int = 410) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def create_survey(session: Session, *, case_id: int, secret: str, now: datetime, days: int) -> str:
    """A new survey for the case; returns the token for its link."""
    survey = CsatSurvey(
        case_id=case_id,
        nonce=secrets.token_hex(16),
        expires_at=now + timedelta(days=days),
        created_at=now,
    )
    session.add(survey)
    session.flush()
    return token_of(survey, secret)


def token_of(survey: CsatSurvey, secret: str) -> str:
    """The signed token of a survey's link."""
    return _serializer(secret).dumps({"s": survey.id, "n": survey.nonce})


def survey_of(session: Session, *, token: str, secret: str, now: datetime) -> CsatSurvey:
    try:
        data = _serializer(secret).loads(token, max_age=90 * 86400)
    except SignatureExpired:
        raise CsatRefused("this survey link has expired") from None
    except BadSignature:
        raise CsatRefused("this survey link is not valid", status=404) from None
    if not isinstance(data, dict):
        raise CsatRefused("this survey link is not valid", status=404)
    survey = session.get(CsatSurvey, data.get("s"))
    if survey is None or not secrets.compare_digest(survey.nonce, str(data.get("n"))):
        raise CsatRefused("this survey link is not valid", status=404)
    if survey.expires_at < now:
        raise CsatRefused("this survey link has expired")
    return survey


def answer(
    session: Session, *, token: str, secret: str, score: int, comment: str | None, now: datetime
) -> CsatSurvey:
    survey = survey_of(session, token=token, secret=secret, now=now)
    if survey.answered_at is not None:
        raise CsatRefused("this survey was already answered, thank you")
    if not 1 <= score <= 5:
        raise CsatRefused("score must be between 1 and 5", status=422)
    # One conditional UPDATE, so two answers racing each other cannot both count.
    done = session.execute(
        update(CsatSurvey)
        .where(CsatSurvey.id == survey.id, CsatSurvey.answered_at.is_(None))
        .values(score=score, comment=(comment or "").strip()[:2000] or None, answered_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(done, "rowcount", 1) != 1:
        raise CsatRefused("this survey was already answered, thank you")
    # On the timeline too; written through the session, so whatever follows case changes
    # (the engagement rollup) sees the answer.
    session.add(
        CaseEvent(case_id=survey.case_id, at=now, kind="csat_answered", data={"score": score})
    )
    return survey
