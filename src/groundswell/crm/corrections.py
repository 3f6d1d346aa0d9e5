"""People correcting a post's sentiment or intents, and what that changes.

A correction is kept as its own row (who, when, what the model had said and which model
said it) and applied to the interaction, so every view shows the human judgement while
the history and the training set keep both.

A corrected sentiment is stored as if a perfectly sure model had produced it:
``sentiment_confidence`` is 1.0, ``sentiment_model`` is ``human`` and the score is the
label's pole (-1, 0 or +1), the value a calibrated model's P(positive) - P(negative)
takes when it is certain. Keeping the model's own score would leave a post a person
called negative pulling the net sentiment up. The post's contribution to the per-minute
rollups moves with it, in the caller's transaction.

Services here take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from groundswell.auth.models import User
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.correction_models import Correction
from groundswell.crm.correction_schemas import (
    HUMAN_MODEL,
    INTENT_CHOICES,
    SENTIMENT_CHOICES,
    CorrectionRead,
)
from groundswell.crm.models import Interaction
from groundswell.crm.rollup_moves import Counted, rollup_moves
from groundswell.listening.rollups import add_to_rollups
from groundswell.settings import Settings
from groundswell.training.examples import LabeledExample

HUMAN_SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
MAX_LIST = 1000
EXAMPLE_SOURCE = "correction"


def counted(row: Interaction) -> Counted:
    """The part of a stored interaction the rollups depend on."""
    return Counted(
        created_at=row.created_at,
        channel_id=row.channel_id,
        direction=row.direction,
        sentiment_label=row.sentiment_label,
        sentiment_score=row.sentiment_score,
        subject_ids=tuple(row.subject_ids or ()),
    )


def _check(sentiment_label: str | None, intents: list[str] | None) -> list[str] | None:
    """Refuse labels outside the fixed sets; return the intents in class order."""
    if sentiment_label is None and intents is None:
        raise InvalidInputError("give sentiment, intents, or both", field="sentiment")
    if sentiment_label is not None and sentiment_label not in SENTIMENT_CHOICES:
        raise InvalidInputError(
            f"sentiment must be one of {', '.join(SENTIMENT_CHOICES)}", field="sentiment"
        )
    if intents is None:
        return None
    unknown = sorted(set(intents) - set(INTENT_CHOICES))
    if unknown:
        raise InvalidInputError(
            f"unknown intent {unknown[0]!r}; intents are {', '.join(INTENT_CHOICES)}",
            field="intents",
        )
    return [i for i in INTENT_CHOICES if i in set(intents)]


def _intent_names(intents: dict[str, float] | None) -> list[str] | None:
    if intents is None:
        return None
    return sorted(intents, key=lambda name: (-intents[name], name))


def _main_intent(chosen: list[str], previous_main: str | None) -> str | None:
    """Keep the model's main intent when the person kept it; else the first in class order."""
    if previous_main in chosen:
        return previous_main
    return chosen[0] if chosen else None


def _json(value: list[str] | None) -> Any:
    """SQL NULL for "not given", so it reads as missing in SQL too, not as JSON ``null``."""
    return null() if value is None else value


def _produced_by(session: Session, row: Interaction, *, sentiment: bool) -> str | None:
    """What produced the values being corrected: the enricher version, or ``human``."""
    if sentiment:
        return row.sentiment_model or (row.enrichment_versions or {}).get("sentiment")
    earlier = session.scalars(select(Correction.intents).where(Correction.interaction_id == row.id))
    if any(intents is not None for intents in earlier):
        return HUMAN_MODEL
    versions = row.enrichment_versions or {}
    return versions.get("intent") or versions.get("sentiment")


def correct(
    session: Session,
    *,
    interaction_id: int,
    user_id: int | None,
    sentiment_label: str | None,
    intents: list[str] | None,
) -> CorrectionRead:
    """Record a person's correction and apply it to the post and the rollups.

    Outbound posts (the company's own replies) are refused: they carry no customer
    sentiment or intents, so a label on one would teach the model the brand's voice and
    count nowhere.

    ``intents`` is the whole set the post shows; ``[]`` means none, ``None`` means the
    intents are not being corrected. The interaction row is locked first, so a
    concurrent correction or re-score of the same post waits instead of moving its
    rollup contribution twice.
    """
    chosen = _check(sentiment_label, intents)
    row = session.scalar(
        select(Interaction).where(Interaction.id == interaction_id).with_for_update()
    )
    if row is None:
        raise NotFoundError("interaction", interaction_id)
    if row.direction == "out":
        raise InvalidInputError(
            f"interaction {interaction_id} was posted by one of the company's own accounts; "
            "sentiment and intents are the customer's, so only inbound posts are corrected",
            field="interaction_id",
        )
    before = counted(row)
    correction = Correction(
        interaction_id=row.id,
        sentiment_label=sentiment_label,
        intents=_json(chosen),
        previous_sentiment=row.sentiment_label,
        previous_intents=_json(_intent_names(row.intents)),
        model_version=_produced_by(session, row, sentiment=sentiment_label is not None),
        user_id=user_id,
    )
    if sentiment_label is not None:
        row.sentiment_label = sentiment_label
        row.sentiment_score = HUMAN_SCORE[sentiment_label]
        row.sentiment_confidence = 1.0
        row.sentiment_model = HUMAN_MODEL
    if chosen is not None:
        row.intent = _main_intent(chosen, row.intent)
        row.intents = {name: 1.0 for name in chosen} or None
    session.add(correction)
    add_to_rollups(session, rollup_moves([(before, counted(row))]))
    session.flush()
    return _reads(session, [correction])[0]


def _reads(session: Session, rows: Iterable[Correction]) -> list[CorrectionRead]:
    rows = list(rows)
    user_ids = {r.user_id for r in rows if r.user_id is not None}
    names: dict[int, str] = {}
    if user_ids:
        for uid, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(user_ids))
        ):
            names[uid] = name or email
    return [
        CorrectionRead(
            id=r.id,
            interaction_id=r.interaction_id,
            sentiment=r.sentiment_label,
            intents=r.intents,
            previous_sentiment=r.previous_sentiment,
            previous_intents=r.previous_intents,
            model_version=r.model_version,
            user_id=r.user_id,
            user_name=names.get(r.user_id) if r.user_id is not None else None,
            created_at=r.created_at,
        )
        for r in rows
    ]


def list_corrections(
    session: Session,
    *,
    interaction_id: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[CorrectionRead]:
    """Corrections newest first, of one post or of all; ``since`` is inclusive."""
    stmt = select(Correction).order_by(Correction.created_at.desc(), Correction.id.desc())
    if interaction_id is not None:
        if session.get(Interaction, interaction_id) is None:
            raise NotFoundError("interaction", interaction_id)
        stmt = stmt.where(Correction.interaction_id == interaction_id)
    if since is not None:
        stmt = stmt.where(Correction.created_at >= since)
    return _reads(session, session.scalars(stmt.limit(max(1, min(limit, MAX_LIST)))))


def corrected_by(session: Session, interaction_ids: Iterable[int]) -> dict[int, str]:
    """Who last corrected each of these posts (name, or email), for the post views."""
    ids = list(set(interaction_ids))
    if not ids:
        return {}
    stmt = (
        select(Correction.interaction_id, User.name, User.email)
        .outerjoin(User, User.id == Correction.user_id)
        .where(Correction.interaction_id.in_(ids))
        .order_by(Correction.id)
    )
    out: dict[int, str] = {}
    for interaction_id, name, email in session.execute(stmt):
        out[interaction_id] = name or email or "a former user"
    return out


def correction_examples(session: Session) -> list[LabeledExample]:
    """Every corrected post once, with the latest sentiment and latest intents people gave.

    The two fields are folded separately: a later intents-only correction does not erase
    an earlier sentiment correction of the same post. Corrections of outbound posts kept
    from before they were refused are left out: the brand's replies teach nothing about
    customers.
    """
    stmt = select(
        Correction.interaction_id, Correction.sentiment_label, Correction.intents
    ).order_by(Correction.interaction_id, Correction.created_at, Correction.id)
    latest: dict[int, tuple[str | None, tuple[str, ...] | None]] = {}
    for interaction_id, sentiment, intents in session.execute(stmt):
        old_sentiment, old_intents = latest.get(interaction_id, (None, None))
        latest[interaction_id] = (
            sentiment if sentiment is not None else old_sentiment,
            tuple(intents) if intents is not None else old_intents,
        )
    texts: dict[int, str] = {}
    ids = sorted(latest)
    for start in range(0, len(ids), MAX_LIST):
        part = ids[start : start + MAX_LIST]
        rows = session.execute(
            select(Interaction.id, Interaction.text).where(
                Interaction.id.in_(part), Interaction.direction == "in"
            )
        )
        texts.update({interaction_id: text for interaction_id, text in rows})
    return [
        LabeledExample(
            text=texts[i], sentiment=latest[i][0], intents=latest[i][1], source=EXAMPLE_SOURCE
        )
        for i in ids
        if i in texts
    ]


def load_correction_examples(database_url: str) -> list[LabeledExample]:
    """The corrections as training examples, read from the database at ``database_url``."""
    db = Database(Settings(database_url=database_url, _env_file=None))
    try:
        with db.session() as session:
            return correction_examples(session)
    finally:
        db.dispose()
