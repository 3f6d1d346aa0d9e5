"""``groundswell rescore``: run the current enrichment again over stored posts.

After a new model (or a new lexicon revision, or new subjects) the stored labels and the
per-minute rollups must say what the current enrichment would say, as if every post had
just been imported. Posts are walked by id in batches; each batch is one transaction that
writes the changed enrichment columns, the subject links that changed and the rollup
difference (old contribution out, new in). A crash leaves every batch either wholly old or
wholly new, and a second run only finds what the first did not finish: a post whose
enrichment comes out the same is not written at all, so re-running with the same model
changes nothing.

Labels people corrected stay unless asked otherwise: a human judgement wins over any
model. The rest of a corrected post (language, entities, subjects) is redone as usual.
Subjects that are paused or deleted keep the posts they had (their history stays); only
active subjects are matched again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from groundswell.core.db import Database
from groundswell.crm.correction_models import Correction
from groundswell.crm.corrections import counted
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.crm.rollup_moves import Counted, rollup_moves
from groundswell.enrichment.base import Enrichment
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.listening.models import Subject
from groundswell.listening.rollups import add_to_rollups

ENRICHED_COLUMNS = (
    "language",
    "sentiment_score",
    "sentiment_label",
    "sentiment_confidence",
    "sentiment_model",
    "intent",
    "intents",
    "flags",
    "entities",
    "influence",
    "enrichment_versions",
    "subject_ids",
)
_PROFILE_KEYS = ("profile_emails", "profile_phones")


class PostEnricher(Protocol):
    """What the re-score needs of an enricher (``Enricher`` or a test's stand-in)."""

    def enrich_many(self, facts: Sequence[PostFacts]) -> list[Enrichment]: ...

    def set_subjects(self, subjects: list[tuple[int, str]]) -> None: ...


@dataclass
class RescoreReport:
    scanned: int = 0
    changed: int = 0
    kept_corrected: int = 0
    """Posts whose corrected labels were kept (the rest of their enrichment is redone)."""
    relinked: int = 0
    """Posts whose matched subjects changed."""
    rollup_cells: int = 0
    """Rollup rows written (each moved count or score sum)."""
    batches: int = 0


@dataclass(frozen=True)
class RescoreRange:
    since: datetime
    until: datetime | None = None
    include_corrected: bool = False
    batch_size: int = 500


def _facts(row: Interaction, identity: tuple[int | None, bool] | None) -> PostFacts:
    """Rebuild what enrichment saw; the author's bio is not stored, so it is unknown."""
    followers, verified = identity if identity is not None else (None, False)
    return PostFacts(
        text=row.text,
        followers=followers,
        likes=row.likes,
        shares=row.shares,
        replies=row.replies,
        verified=verified,
        bio=None,
        outbound=row.direction == "out",
    )


def _columns(row: Interaction, e: Enrichment, active_ids: set[int]) -> dict[str, Any]:
    """The enrichment columns as a fresh import would write them.

    Entities found in the author's bio at import are kept: the bio is not stored, so the
    re-score cannot find them again, and they still speak for the author. So are the
    subjects that are not active any more (paused or deleted), whose history stays.
    """
    entities = e.entities.as_dict()
    old_entities = row.entities or {}
    entities.update({k: old_entities[k] for k in _PROFILE_KEYS if old_entities.get(k)})
    paused = (s for s in row.subject_ids or () if s not in active_ids)
    subjects = sorted({*e.subject_ids, *paused})
    return {
        "language": e.language.code,
        "sentiment_score": e.sentiment.score,
        "sentiment_label": e.sentiment.label,
        "sentiment_confidence": e.sentiment.confidence,
        "sentiment_model": e.versions.get("sentiment"),
        "intent": e.intent,
        "intents": e.intents or None,
        "flags": list(e.flags) or None,
        "entities": entities,
        "influence": e.influence,
        "enrichment_versions": e.versions,
        "subject_ids": subjects,
    }


def _counted_after(row: Interaction, values: dict[str, Any]) -> Counted:
    return Counted(
        created_at=row.created_at,
        channel_id=row.channel_id,
        direction=row.direction,
        sentiment_label=values["sentiment_label"],
        sentiment_score=values["sentiment_score"],
        subject_ids=tuple(values["subject_ids"]),
    )


def rescore_batch(
    session: Session,
    *,
    enricher: PostEnricher,
    scope: RescoreRange,
    after_id: int,
    active_ids: set[int],
) -> tuple[int | None, RescoreReport]:
    """Re-enrich the next batch after ``after_id``; returns its last id (None when done).

    The rows are locked (PostgreSQL) so a correction arriving meanwhile waits, and the
    corrections are read after the lock, so one committed just before is seen.
    """
    stmt = select(Interaction).where(
        Interaction.id > after_id, Interaction.created_at >= scope.since
    )
    if scope.until is not None:
        stmt = stmt.where(Interaction.created_at < scope.until)
    rows = list(
        session.scalars(stmt.order_by(Interaction.id).limit(scope.batch_size).with_for_update())
    )
    if not rows:
        return None, RescoreReport()
    report = RescoreReport(scanned=len(rows), batches=1)
    ids = [r.id for r in rows]
    human = {} if scope.include_corrected else _corrected_fields(session, ids)
    report.kept_corrected = len(human)
    identity_ids = {r.identity_id for r in rows if r.identity_id is not None}
    identities = {
        i: (followers, bool(verified))
        for i, followers, verified in session.execute(
            select(Identity.id, Identity.followers, Identity.verified).where(
                Identity.id.in_(identity_ids)
            )
        )
    }
    enrichments = enricher.enrich_many(
        [_facts(r, identities.get(r.identity_id) if r.identity_id else None) for r in rows]
    )
    updates: list[dict[str, Any]] = []
    moves: list[tuple[Counted, Counted]] = []
    relink: dict[int, set[int]] = {}
    for row, enrichment in zip(rows, enrichments, strict=True):
        values = _columns(row, enrichment, active_ids)
        for name in human.get(row.id, ()):
            values[name] = getattr(row, name)
        if all(getattr(row, name) == values[name] for name in ENRICHED_COLUMNS):
            continue
        updates.append({"id": row.id, **values})
        moves.append((counted(row), _counted_after(row, values)))
        if sorted(row.subject_ids or ()) != values["subject_ids"]:
            relink[row.id] = set(values["subject_ids"])
    report.changed = len(updates)
    report.relinked = len(relink)
    if updates:
        session.execute(update(Interaction), updates)
        _relink(session, relink)
        deltas = rollup_moves(moves)
        add_to_rollups(session, deltas)
        report.rollup_cells = len(deltas)
    return ids[-1], report


SENTIMENT_COLUMNS = (
    "sentiment_label",
    "sentiment_score",
    "sentiment_confidence",
    "sentiment_model",
)
INTENT_COLUMNS = ("intent", "intents")


def _corrected_fields(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """For each corrected post, the columns a person set, which the re-score leaves alone."""
    fields: dict[int, set[str]] = {}
    stmt = select(Correction.interaction_id, Correction.sentiment_label, Correction.intents).where(
        Correction.interaction_id.in_(ids)
    )
    for interaction_id, sentiment, intents in session.execute(stmt):
        names = fields.setdefault(interaction_id, set())
        names.update(SENTIMENT_COLUMNS if sentiment is not None else ())
        names.update(INTENT_COLUMNS if intents is not None else ())
    return fields


def _relink(session: Session, wanted: dict[int, set[int]]) -> None:
    """Make the subject links of these posts exactly ``wanted``, touching only differences."""
    if not wanted:
        return
    have: dict[int, set[int]] = {i: set() for i in wanted}
    for interaction_id, subject_id in session.execute(
        select(InteractionSubject.interaction_id, InteractionSubject.subject_id).where(
            InteractionSubject.interaction_id.in_(list(wanted))
        )
    ):
        have[interaction_id].add(subject_id)
    existing = set(session.scalars(select(Subject.id)))
    add = [
        {"interaction_id": i, "subject_id": s}
        for i in sorted(wanted)
        for s in sorted(wanted[i] - have[i])
        if s in existing
    ]
    for i in sorted(wanted):
        gone = have[i] - wanted[i]
        if gone:
            session.execute(
                delete(InteractionSubject).where(
                    InteractionSubject.interaction_id == i,
                    InteractionSubject.subject_id.in_(gone),
                )
            )
    if add:
        session.execute(insert(InteractionSubject), add)


def count_in_range(session: Session, scope: RescoreRange) -> int:
    stmt = (
        select(func.count()).select_from(Interaction).where(Interaction.created_at >= scope.since)
    )
    if scope.until is not None:
        stmt = stmt.where(Interaction.created_at < scope.until)
    return int(session.scalar(stmt) or 0)


def active_subjects(session: Session) -> list[tuple[int, str]]:
    """(id, query) of the subjects matched from now on."""
    rows = session.execute(select(Subject.id, Subject.query).where(Subject.active.is_(True)))
    return [(int(i), str(q)) for i, q in rows]


def run_rescore(
    db: Database,
    scope: RescoreRange,
    *,
    enricher: PostEnricher | None = None,
    sentiment_mode: str = "lexicon",
    progress: Callable[[int], None] | None = None,
    model_store: str | None = None,
) -> RescoreReport:
    """Re-score every stored post in ``scope``, one committed transaction per batch."""
    with db.session() as session:
        subjects = active_subjects(session)
    active_ids = {i for i, _ in subjects}
    if enricher is None:
        enricher = Enricher(sentiment_mode=sentiment_mode, model_store=model_store)
    enricher.set_subjects(subjects)
    total = RescoreReport()
    after_id = 0
    while True:
        with db.session() as session:
            last, batch = rescore_batch(
                session, enricher=enricher, scope=scope, after_id=after_id, active_ids=active_ids
            )
        if last is None:
            return total
        after_id = last
        for name in ("scanned", "changed", "kept_corrected", "relinked", "rollup_cells"):
            setattr(total, name, getattr(total, name) + getattr(batch, name))
        total.batches += 1
        if progress is not None:
            progress(batch.scanned)
