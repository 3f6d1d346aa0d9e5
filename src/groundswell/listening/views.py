"""Saved Listening views: validate, list, save (replace by name) and delete a user's views.

Services take a session and never commit; the page commits. A view keeps only choices
the page itself offers (a range preset or a custom range, a resolution, a subject and a
channel key); a stale subject or channel falls back to the page's default when opened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.series_schemas import RESOLUTIONS, Resolution, SeriesWindow
from groundswell.listening.view_models import ListeningView

MAX_VIEWS_PER_USER = 50
RangeKey = Literal["1h", "6h", "24h", "7d", "custom"]


class ViewIn(BaseModel):
    """A view to save; a custom range needs both ends and must fit the chart's bucket cap."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=80)
    subject_id: int = Field(default=0, ge=0, le=2**31 - 1)
    channel: str | None = Field(default=None, max_length=64)
    range_key: RangeKey = "24h"
    resolution: Resolution = "1m"
    start: datetime | None = None
    end: datetime | None = None

    @model_validator(mode="after")
    def _custom_range(self) -> ViewIn:
        if self.range_key != "custom":
            self.start = self.end = None
            return self
        if self.start is None or self.end is None:
            raise InvalidInputError("a custom range needs a start and an end", field="start")
        SeriesWindow.build(start=self.start, end=self.end, resolution=self.resolution)
        return self


class ViewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    subject_id: int
    channel: str | None
    range_key: str
    resolution: str
    start: datetime | None
    end: datetime | None

    def params(self) -> dict[str, str]:
        """The Listening page's query parameters that reopen this view."""
        out = {"subject": str(self.subject_id), "range": self.range_key, "res": self.resolution}
        if self.channel:
            out["channel"] = self.channel
        if self.start is not None and self.end is not None:
            out["start"] = self.start.strftime("%Y-%m-%dT%H:%M")
            out["end"] = self.end.strftime("%Y-%m-%dT%H:%M")
        return out


def list_views(session: Session, *, user_id: int) -> list[ViewRead]:
    rows = session.scalars(
        select(ListeningView)
        .where(ListeningView.user_id == user_id)
        .order_by(ListeningView.name, ListeningView.id)
    )
    return [ViewRead.model_validate(row) for row in rows]


def save_view(session: Session, *, user_id: int, data: ViewIn) -> ViewRead:
    """Save a view; a view of the same name is replaced, as "Save" in any editor does."""
    if data.resolution not in RESOLUTIONS:  # pragma: no cover - Literal already checks
        raise InvalidInputError("unknown resolution", field="resolution")
    row = session.scalar(
        select(ListeningView).where(
            ListeningView.user_id == user_id, ListeningView.name == data.name
        )
    )
    if row is None:
        count = session.scalar(
            select(func.count()).select_from(ListeningView).where(ListeningView.user_id == user_id)
        )
        if int(count or 0) >= MAX_VIEWS_PER_USER:
            raise InvalidInputError(
                f"at most {MAX_VIEWS_PER_USER} saved views; delete one first", field="name"
            )
        row = ListeningView(user_id=user_id, name=data.name)
        session.add(row)
    row.subject_id = data.subject_id
    row.channel = data.channel or None
    row.range_key = data.range_key
    row.resolution = data.resolution
    row.start, row.end = data.start, data.end
    session.flush()
    return ViewRead.model_validate(row)


def delete_view(session: Session, *, user_id: int, view_id: int) -> None:
    """Delete one of the user's own views; another user's view is as good as missing."""
    done = session.execute(
        delete(ListeningView).where(ListeningView.id == view_id, ListeningView.user_id == user_id)
    )
    if not getattr(done, "rowcount", 0):
        raise NotFoundError("listening view", view_id)
