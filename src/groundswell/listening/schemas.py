"""Shapes of tracked subjects at the edges (API, web forms)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from groundswell.core.textguard import refuse_control
from groundswell.enrichment.query import MAX_QUERY_LENGTH

SubjectKind = Literal["brand", "product", "competitor", "topic"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("brand", "product", "competitor", "topic")


def _strip(value: str) -> str:
    return value.strip()


Name = Annotated[
    str, AfterValidator(_strip), AfterValidator(refuse_control), Field(min_length=1, max_length=200)
]
Query = Annotated[
    str, AfterValidator(refuse_control), Field(min_length=1, max_length=MAX_QUERY_LENGTH)
]


class SubjectCreate(BaseModel):
    """A new subject; the query is checked by the query parser in the service."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: SubjectKind = "topic"
    query: Query
    active: bool = True


class SubjectUpdate(BaseModel):
    """A partial change: only the fields that are present are applied."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: SubjectKind | None = None
    query: Query | None = None
    active: bool | None = None


class SubjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    query: str
    active: bool
    created_at: datetime
    updated_at: datetime
