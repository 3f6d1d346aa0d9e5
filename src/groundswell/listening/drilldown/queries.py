"""The reads behind a drill-down, each bounded whatever the size of the store.

- Counts (volume, sentiment mix, channel mix) come from the per-minute rollups, which are
  exact and small: one row per minute × channel × label, never a scan of posts.
- Posts are read by ``interactions.created_at`` (indexed) joined to
  ``interaction_subjects`` for the subject, inbound only (the rollups count inbound too),
  at most ``cap`` of them. A window with more posts than the cap is read as a
  time-stratified sample: it is cut into slices, each slice gives its newest posts, and
  the cap is shared between slices in proportion to their rollup counts, so a burst in one
  part of the window keeps its weight. The baseline is always read this way, with equal
  shares per slice: it only has to show how people usually talk.
- Subject links and identities are fetched for the posts read, in chunks of ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.clock import floor_minute
from groundswell.core.upsert import chunks
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject

SLICES = 8
ID_CHUNK = 900


@dataclass(frozen=True, slots=True)
class Scope:
    """Which posts a drill-down looks at: one subject (or all posts), one channel or all."""

    subject_id: int | None
    channel_id: int | None


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    text: str
    private: bool
    created_at: datetime
    channel_id: int
    identity_id: int | None
    contact_id: int | None
    sentiment_label: str | None
    sentiment_score: float | None
    influence: float


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    platform: str
    handle: str | None
    display_name: str | None
    followers: int | None
    verified: bool
    is_brand: bool
    contact_id: int | None


def _read(
    session: Session, scope: Scope, start: datetime, end: datetime, limit: int
) -> list[PostRow]:
    i = Interaction
    stmt = select(
        i.id,
        i.text,
        i.private,
        i.created_at,
        i.channel_id,
        i.identity_id,
        i.contact_id,
        i.sentiment_label,
        i.sentiment_score,
        i.influence,
    ).where(i.created_at >= start, i.created_at < end, i.direction == "in")
    if scope.subject_id is not None:
        # EXISTS rather than a join: with the join SQLite walked every post the subject
        # was ever linked to (its subject index) for each slice, 12 ms a slice on the
        # demo's 17,000 links; this walks the time window newest first and stops at the
        # limit (0.1 ms). PostgreSQL plans both as the same semi-join.
        linked = (
            select(InteractionSubject.interaction_id)
            .where(
                InteractionSubject.interaction_id == i.id,
                InteractionSubject.subject_id == scope.subject_id,
            )
            .exists()
        )
        stmt = stmt.where(linked)
    if scope.channel_id is not None:
        stmt = stmt.where(i.channel_id == scope.channel_id)
    stmt = stmt.order_by(i.created_at.desc(), i.id.desc()).limit(limit)
    return [PostRow(**row._asdict()) for row in session.execute(stmt)]


def _slices(start: datetime, end: datetime, n: int) -> list[tuple[datetime, datetime]]:
    step = (end - start) / n
    edges = [start + step * k for k in range(n)] + [end]
    return list(pairwise(edges))


def _rollup_filter(scope: Scope) -> list[object]:
    subject = scope.subject_id if scope.subject_id is not None else ALL_POSTS
    conditions: list[object] = [MinuteRollup.subject_id == subject]
    if scope.channel_id is not None:
        conditions.append(MinuteRollup.channel_id == scope.channel_id)
    return conditions


def mix_counts(
    session: Session, scope: Scope, start: datetime, end: datetime
) -> Counter[tuple[int, str]]:
    """Inbound posts per (channel id, sentiment label) in the window, from the rollups."""
    stmt = (
        select(MinuteRollup.channel_id, MinuteRollup.sentiment_label, func.sum(MinuteRollup.count))
        .where(
            *_rollup_filter(scope),  # type: ignore[arg-type]
            MinuteRollup.minute >= floor_minute(start),
            MinuteRollup.minute < end,
        )
        .group_by(MinuteRollup.channel_id, MinuteRollup.sentiment_label)
    )
    return Counter({(c, label): int(n or 0) for c, label, n in session.execute(stmt)})


def _slice_counts(
    session: Session, scope: Scope, slices: list[tuple[datetime, datetime]]
) -> list[int]:
    out = []
    for lo, hi in slices:
        stmt = select(func.coalesce(func.sum(MinuteRollup.count), 0)).where(
            *_rollup_filter(scope),  # type: ignore[arg-type]
            MinuteRollup.minute >= floor_minute(lo),
            MinuteRollup.minute < hi,
        )
        out.append(int(session.scalar(stmt) or 0))
    return out


def _allocate(cap: int, weights: Sequence[int]) -> list[int]:
    total = sum(weights)
    if total <= 0:
        return [cap // len(weights)] * len(weights)
    return [max(1, round(cap * w / total)) if w else 0 for w in weights]


def focus_posts(
    session: Session, scope: Scope, start: datetime, end: datetime, *, cap: int
) -> tuple[list[PostRow], bool]:
    """Every post of the window when there are at most ``cap``, else a stratified sample.

    The second value says whether the read was complete.
    """
    rows = _read(session, scope, start, end, cap + 1)
    if len(rows) <= cap:
        return rows, True
    slices = _slices(start, end, SLICES)
    shares = _allocate(cap, _slice_counts(session, scope, slices))
    out: list[PostRow] = []
    for (lo, hi), share in zip(slices, shares, strict=True):
        if share:
            out.extend(_read(session, scope, lo, hi, share))
    return out, False


def baseline_posts(
    session: Session, scope: Scope, start: datetime, end: datetime, *, cap: int
) -> list[PostRow]:
    """Up to ``cap`` baseline posts, an equal share from each of ``SLICES`` time slices."""
    share = max(1, cap // SLICES)
    out: list[PostRow] = []
    for lo, hi in _slices(start, end, SLICES):
        out.extend(_read(session, scope, lo, hi, share))
    return out


def subject_links(session: Session, ids: Sequence[int]) -> Counter[int]:
    """How many of the posts ``ids`` each subject is linked to."""
    counts: Counter[int] = Counter()
    for part in chunks(list(ids), ID_CHUNK):
        stmt = (
            select(InteractionSubject.subject_id, func.count())
            .where(InteractionSubject.interaction_id.in_(part))
            .group_by(InteractionSubject.subject_id)
        )
        for subject_id, n in session.execute(stmt):
            counts[subject_id] += int(n)
    return counts


def subject_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Subject.id, Subject.name).where(Subject.id.in_(list(ids)))
    return {i: name for i, name in session.execute(stmt)}


def authors(session: Session, ids: Sequence[int]) -> dict[int, Author]:
    out: dict[int, Author] = {}
    for part in chunks(list(ids), ID_CHUNK):
        stmt = select(
            Identity.id,
            Identity.platform,
            Identity.handle,
            Identity.display_name,
            Identity.followers,
            Identity.verified,
            Identity.is_brand,
            Identity.contact_id,
        ).where(Identity.id.in_(part))
        for row in session.execute(stmt):
            out[row[0]] = Author(*row)
    return out


def channels(session: Session) -> dict[int, tuple[str, str]]:
    """Channel id → (key, name); a handful of rows."""
    return {i: (k, n) for i, k, n in session.execute(select(Channel.id, Channel.key, Channel.name))}


def channel_id(session: Session, key: str) -> int | None:
    found = session.scalar(select(Channel.id).where(Channel.key == key))
    return int(found) if found is not None else None


def hours_with_data(session: Session, start: datetime, end: datetime) -> float:
    """Hours of ``start``..``end`` in which the store recorded any post of any subject.

    An hour in which nothing at all arrived is a gap (the system was not yet running, a
    connector was down, the demo's history starts later), not a quiet hour: a baseline
    rate averaged over it would make any day look like a surge. One grouped query over
    the all-posts rollups; edge hours count for the part inside the range.
    """
    from groundswell.listening.series import bucket_epoch

    bucket = bucket_epoch(session, 3600)
    rows = session.execute(
        select(bucket)
        .where(
            MinuteRollup.subject_id == ALL_POSTS,
            MinuteRollup.minute >= floor_minute(start),
            MinuteRollup.minute < end,
            MinuteRollup.count > 0,
        )
        .group_by(bucket)
    ).all()
    total = 0.0
    for (epoch,) in rows:
        lo = datetime.fromtimestamp(int(epoch), start.tzinfo)
        a, b = max(lo, start), min(lo + timedelta(hours=1), end)
        if b > a:
            total += (b - a) / timedelta(hours=1)
    return total


def hours(start: datetime, end: datetime) -> float:
    return max((end - start) / timedelta(hours=1), 1 / 60)
