"""Segments: saved, validated filters over contacts, and who is in one right now.

A filter combines value (CLV), p(alive), sentiment trend, channel, journey stage, last
touch and tags; every part is optional and all parts must hold. Membership is a SQL
condition on ``contacts`` (so the contacts list, the inbox and the CSV export page and
stream it in the database) except the journey stage, which is inferred per contact
(``crm/journey_stages.py``) for the contacts the other parts leave.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.clv.models import CustomerValue
from groundswell.crm.journey import STAGES
from groundswell.crm.journey_stages import stages_of
from groundswell.crm.models import Contact, Identity, Interaction
from groundswell.crm.note_models import ContactTag
from groundswell.crm.segment_models import Segment

TREND_RECENT = timedelta(days=30)
TREND_BEFORE = timedelta(days=120)
TREND_STEP = 0.1
"""A mean sentiment this much higher (lower) in the last 30 days than in the 90 before is
a rising (falling) trend; within it, steady."""

Stage = Literal["awareness", "consideration", "purchase", "service", "loyalty"]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class SegmentFilter(BaseModel):
    """What a segment keeps; the bounds stop a filter that could never match or mean much."""

    model_config = ConfigDict(extra="forbid")

    min_value: float | None = Field(default=None, ge=0, le=1e9)
    max_value: float | None = Field(default=None, ge=0, le=1e9)
    min_p_alive: float | None = Field(default=None, ge=0, le=1)
    max_p_alive: float | None = Field(default=None, ge=0, le=1)
    sentiment_trend: Literal["rising", "falling", "steady"] | None = None
    channels: list[Key] = Field(default_factory=list, max_length=20)
    """Contacts with at least one inbound message on any of these channels."""
    stages: list[Stage] = Field(default_factory=list, max_length=len(STAGES))
    touched_within_days: int | None = Field(default=None, ge=1, le=3650)
    """Last inbound touch at most this many days ago."""
    silent_for_days: int | None = Field(default=None, ge=1, le=3650)
    """No inbound touch in this many days (lapsing customers)."""
    tags: list[Key] = Field(default_factory=list, max_length=20)
    """Every one of these tags."""

    @model_validator(mode="after")
    def _ranges(self) -> SegmentFilter:
        lo, hi = self.min_value, self.max_value
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("min_value is above max_value")
        lo, hi = self.min_p_alive, self.max_p_alive
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("min_p_alive is above max_p_alive")
        self.tags = sorted({t.lower() for t in self.tags})
        self.channels = sorted(set(self.channels))
        return self

    def describe(self) -> list[str]:
        """The filter in words, for the segment list."""
        out = []
        if self.min_value is not None or self.max_value is not None:
            out.append(f"value {self.min_value or 0:g}–{self.max_value or float('inf'):g}")
        if self.min_p_alive is not None or self.max_p_alive is not None:
            out.append(f"p(alive) {self.min_p_alive or 0:g}–{self.max_p_alive or 1:g}")
        if self.sentiment_trend:
            out.append(f"sentiment {self.sentiment_trend}")
        if self.channels:
            out.append("channel " + " or ".join(self.channels))
        if self.stages:
            out.append("stage " + " or ".join(self.stages))
        if self.touched_within_days:
            out.append(f"touched in the last {self.touched_within_days} days")
        if self.silent_for_days:
            out.append(f"silent for {self.silent_for_days}+ days")
        if self.tags:
            out.append("tags " + " and ".join(self.tags))
        return out or ["every contact"]


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentRead(BaseModel):
    id: int
    name: str
    owner_id: int | None
    filter: SegmentFilter
    description: list[str]
    created_at: datetime
    updated_at: datetime


def _read(row: Segment) -> SegmentRead:
    flt = SegmentFilter.model_validate(row.filter)
    return SegmentRead(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        filter=flt,
        description=flt.describe(),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > 100:
        raise InvalidInputError("a segment name is 1–100 characters", field="name")
    return name


def _unique(session: Session, name: str, but: int | None = None) -> None:
    taken = session.scalar(select(Segment.id).where(func.lower(Segment.name) == name.lower()))
    if taken is not None and taken != but:
        raise InvalidInputError(f"a segment named {name!r} exists", field="name")


def create_segment(session: Session, *, data: SegmentIn, owner_id: int | None) -> SegmentRead:
    name = _name(data.name)
    _unique(session, name)
    row = Segment(name=name, owner_id=owner_id, filter=data.filter.model_dump(mode="json"))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInputError(f"a segment named {name!r} exists", field="name") from None
    return _read(row)


def _get(session: Session, segment_id: int) -> Segment:
    row = session.get(Segment, segment_id)
    if row is None:
        raise NotFoundError("segment", segment_id)
    return row


def get_segment(session: Session, *, segment_id: int) -> SegmentRead:
    return _read(_get(session, segment_id))


def update_segment(session: Session, *, segment_id: int, data: SegmentIn) -> SegmentRead:
    row = _get(session, segment_id)
    name = _name(data.name)
    _unique(session, name, but=segment_id)
    row.name = name
    row.filter = data.filter.model_dump(mode="json")
    row.updated_at = utcnow()
    session.flush()
    return _read(row)


def delete_segment(session: Session, *, segment_id: int) -> None:
    session.delete(_get(session, segment_id))
    session.flush()


def list_segments(session: Session) -> list[SegmentRead]:
    return [_read(r) for r in session.scalars(select(Segment).order_by(Segment.name))]


def _trend(now: datetime) -> ColumnElement[Any]:
    inbound = (Interaction.contact_id == Contact.id, Interaction.direction == "in")
    recent = (
        select(func.avg(Interaction.sentiment_score))
        .where(*inbound, Interaction.created_at >= now - TREND_RECENT)
        .correlate(Contact)
        .scalar_subquery()
    )
    before = (
        select(func.avg(Interaction.sentiment_score))
        .where(
            *inbound,
            Interaction.created_at < now - TREND_RECENT,
            Interaction.created_at >= now - TREND_BEFORE,
        )
        .correlate(Contact)
        .scalar_subquery()
    )
    return recent - before


def conditions(flt: SegmentFilter, *, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions on ``contacts`` for every part of the filter but the stage."""
    out: list[ColumnElement[bool]] = [Contact.merged_into_id.is_(None)]
    value = (
        CustomerValue.contact_id == Contact.id,
        *([CustomerValue.clv >= flt.min_value] if flt.min_value is not None else []),
        *([CustomerValue.clv <= flt.max_value] if flt.max_value is not None else []),
        *([CustomerValue.p_alive >= flt.min_p_alive] if flt.min_p_alive is not None else []),
        *([CustomerValue.p_alive <= flt.max_p_alive] if flt.max_p_alive is not None else []),
    )
    if len(value) > 1:
        out.append(exists().where(*value))
    if flt.sentiment_trend:
        diff = _trend(now)
        out.append(
            {
                "rising": diff > TREND_STEP,
                "falling": diff < -TREND_STEP,
                "steady": diff.between(-TREND_STEP, TREND_STEP),
            }[flt.sentiment_trend]
        )
    inbound = (Interaction.contact_id == Contact.id, Interaction.direction == "in")
    if flt.channels:
        out.append(
            exists().where(
                *inbound,
                Interaction.channel_id.in_(select(Channel.id).where(Channel.key.in_(flt.channels))),
            )
        )
    if flt.touched_within_days:
        since = now - timedelta(days=flt.touched_within_days)
        out.append(exists().where(*inbound, Interaction.created_at >= since))
    if flt.silent_for_days:
        since = now - timedelta(days=flt.silent_for_days)
        out.append(~exists().where(*inbound, Interaction.created_at >= since))
    for tag in flt.tags:
        out.append(exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == tag))
    return out


def members(
    session: Session, *, flt: SegmentFilter, now: datetime | None = None
) -> Select[Any] | list[int]:
    """The segment's contact ids: a sub-select, or (with stages) the ids themselves."""
    query = select(Contact.id).where(*conditions(flt, now=now or utcnow()))
    if not flt.stages:
        return query
    ids = list(session.scalars(query))
    wanted = set(flt.stages)
    found: list[int] = []
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        moves = stages_of(session, chunk)
        found.extend(c for c in chunk if moves.get(c) and moves[c][-1].stage in wanted)
    return found


def segment_members(
    session: Session, *, segment_id: int, now: datetime | None = None, missing_ok: bool = False
) -> Select[Any] | list[int]:
    """``missing_ok``: an unknown (deleted) segment has no members instead of a 404."""
    row = session.get(Segment, segment_id)
    if row is None:
        if missing_ok:
            return []
        raise NotFoundError("segment", segment_id)
    return members(session, flt=SegmentFilter.model_validate(row.filter), now=now)


CSV_HEADER = ("contact_id", "name", "email", "handles", "clv", "p_alive", "last_touch")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def export_rows(
    session: Session, *, segment_id: int, batch: int = 500, now: datetime | None = None
) -> Iterator[str]:
    """The segment's contacts as CSV lines, read in batches of ``batch`` ids (a generator)."""
    ids = segment_members(session, segment_id=segment_id, now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: tuple[object, ...] | list[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in values])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    last = 0
    while True:
        query = select(Contact.id, Contact.display_name, Contact.email).where(Contact.id > last)
        query = query.where(Contact.id.in_(ids)).order_by(Contact.id).limit(batch)
        rows = list(session.execute(query))
        if not rows:
            return
        page = [r[0] for r in rows]
        handles: dict[int, list[str]] = {i: [] for i in page}
        for owner, platform, handle in session.execute(
            select(Identity.contact_id, Identity.platform, Identity.handle)
            .where(Identity.contact_id.in_(page))
            .order_by(Identity.id)
        ):
            if owner is not None:
                handles[owner].append(f"{platform}:{handle}" if handle else platform)
        values = {
            cid: (clv, alive)
            for cid, clv, alive in session.execute(
                select(CustomerValue.contact_id, CustomerValue.clv, CustomerValue.p_alive).where(
                    CustomerValue.contact_id.in_(page)
                )
            )
        }
        touches = dict(
            session.execute(
                select(Interaction.contact_id, func.max(Interaction.created_at))
                .where(Interaction.contact_id.in_(page), Interaction.direction == "in")
                .group_by(Interaction.contact_id)
            ).all()
        )
        for cid, name, email in rows:
            clv, alive = values.get(cid, (None, None))
            touch = touches.get(cid)
            yield line(
                [
                    cid,
                    name,
                    email,
                    " ".join(handles[cid]),
                    f"{clv:.2f}" if clv is not None else "",
                    f"{alive:.3f}" if alive is not None else "",
                    touch.isoformat() if touch else "",
                ]
            )
        last = page[-1]


def stream_export(db: Database, *, segment_id: int) -> Iterator[str]:
    """:func:`export_rows` in a session of its own, held while the response streams.

    The request's session may be closed before a streamed body is sent, so the
    generator opens (and closes) its own.
    """
    with db.session() as session:
        yield from export_rows(session, segment_id=segment_id)
