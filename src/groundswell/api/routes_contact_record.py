"""``/api/v1`` routes on one contact's record: consent, tags, notes, journey, profiling.

Plus the journey aggregate over all contacts. Inputs are bounded; a bad value is a 422
naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep
from groundswell.api.engagement.deps import Worker
from groundswell.api.params import PathId
from groundswell.core.errors import NotFoundError
from groundswell.crm.consent import ConsentRead, consents_of, record_consent
from groundswell.crm.journey import Journey, journey_of
from groundswell.crm.journey_stages import JourneyAggregate, LiftSummary, journey_aggregate
from groundswell.crm.journey_stages import reply_lift as lift_of
from groundswell.crm.models import Contact, Identity
from groundswell.crm.notes import NoteRead, add_note, add_tag, notes_of, remove_tag, tags_of
from groundswell.crm.profiling import link_text, make_token

router = APIRouter(tags=["contacts"])


def _contact(session: SessionDep, contact_id: int) -> None:
    if session.get(Contact, contact_id) is None:
        raise NotFoundError("contact", contact_id)


def _identity_of(session: SessionDep, contact_id: int, identity_id: int) -> Identity:
    _contact(session, contact_id)
    identity = session.get(Identity, identity_id)
    if identity is None or identity.contact_id != contact_id:
        raise NotFoundError("identity of this contact", identity_id)
    return identity


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool
    source: str = Field(min_length=1, max_length=150)
    """Where the customer said so (``reply on X``, ``phone call``…)."""


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=64)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class TagsRead(BaseModel):
    contact_id: int
    tags: list[str]


class ProfilingLink(BaseModel):
    identity_id: int
    url: str
    text: str
    """Ready to paste into a reply."""
    expires_in_days: int


@router.get(
    "/contacts/{contact_id}/consents",
    summary="Consent per identity and purpose",
    response_model=list[ConsentRead],
)
def api_consents(session: SessionDep, _: ApiUser, contact_id: PathId) -> list[ConsentRead]:
    _contact(session, contact_id)
    return consents_of(session, contact_id=contact_id)


@router.put(
    "/contacts/{contact_id}/identities/{identity_id}/consents/{purpose}",
    summary="Record consent (or its withdrawal) for one identity and purpose",
    response_model=list[ConsentRead],
    dependencies=CSRF_CHECKED,
)
def api_put_consent(
    session: SessionDep,
    user: ApiUser,
    contact_id: PathId,
    identity_id: PathId,
    purpose: Literal["service", "marketing"],
    body: ConsentIn,
) -> list[ConsentRead]:
    _identity_of(session, contact_id, identity_id)
    record_consent(
        session,
        identity_id=identity_id,
        purpose=purpose,
        granted=body.granted,
        source=f"{body.source.strip()} (recorded by {user.email})",
    )
    session.commit()
    return consents_of(session, contact_id=contact_id)


@router.get("/contacts/{contact_id}/tags", summary="A contact's tags", response_model=TagsRead)
def api_tags(session: SessionDep, _: ApiUser, contact_id: PathId) -> TagsRead:
    _contact(session, contact_id)
    return TagsRead(contact_id=contact_id, tags=tags_of(session, contact_id=contact_id))


@router.post(
    "/contacts/{contact_id}/tags",
    summary="Add a tag",
    response_model=TagsRead,
    dependencies=CSRF_CHECKED,
)
def api_add_tag(session: SessionDep, user: ApiUser, contact_id: PathId, body: TagIn) -> TagsRead:
    tags = add_tag(session, contact_id=contact_id, tag=body.tag, actor=f"user:{user.email}")
    session.commit()
    return TagsRead(contact_id=contact_id, tags=tags)


@router.delete(
    "/contacts/{contact_id}/tags/{tag}",
    summary="Remove a tag",
    response_model=TagsRead,
    dependencies=CSRF_CHECKED,
)
def api_remove_tag(
    session: SessionDep,
    _: ApiUser,
    contact_id: PathId,
    tag: Annotated[str, Path(min_length=1, max_length=64)],
) -> TagsRead:
    tags = remove_tag(session, contact_id=contact_id, tag=tag)
    session.commit()
    return TagsRead(contact_id=contact_id, tags=tags)


@router.get(
    "/contacts/{contact_id}/notes",
    summary="A contact's notes, newest first",
    response_model=list[NoteRead],
)
def api_notes(
    session: SessionDep,
    _: ApiUser,
    contact_id: PathId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NoteRead]:
    _contact(session, contact_id)
    return notes_of(session, contact_id=contact_id, limit=limit)


@router.post(
    "/contacts/{contact_id}/notes",
    summary="Write a note",
    response_model=NoteRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=CSRF_CHECKED,
)
def api_add_note(session: SessionDep, user: ApiUser, contact_id: PathId, body: NoteIn) -> NoteRead:
    note = add_note(session, contact_id=contact_id, text=body.text, actor=f"user:{user.email}")
    session.commit()
    return note


@router.get(
    "/contacts/{contact_id}/journey",
    summary="A contact's journey: stage moves and sentiment trend",
    response_model=Journey,
)
def api_journey(session: SessionDep, _: ApiUser, contact_id: PathId) -> Journey:
    _contact(session, contact_id)
    return journey_of(session, contact_id=contact_id)


@router.get(
    "/contacts/{contact_id}/reply-lift",
    summary="Customer sentiment after each agent reply vs before it",
    response_model=LiftSummary,
)
def api_reply_lift(session: SessionDep, _: ApiUser, contact_id: PathId) -> LiftSummary:
    _contact(session, contact_id)
    return lift_of(session, contact_id=contact_id)


@router.get(
    "/journeys",
    summary="Journey aggregate: transitions, drop-off per stage, common paths",
    response_model=JourneyAggregate,
)
def api_journeys(
    session: SessionDep, _: ApiUser, top: Annotated[int, Query(ge=1, le=50)] = 10
) -> JourneyAggregate:
    return journey_aggregate(session, top=top)


@router.post(
    "/contacts/{contact_id}/identities/{identity_id}/profiling-link",
    summary="A signed, expiring link where the customer gives email or order number",
    response_model=ProfilingLink,
    dependencies=CSRF_CHECKED,
)
def api_profiling_link(
    request: Request, session: SessionDep, _: Worker, contact_id: PathId, identity_id: PathId
) -> ProfilingLink:
    _identity_of(session, contact_id, identity_id)
    settings = request.app.state.settings
    token = make_token(
        session, identity_id=identity_id, secret=settings.secret_key.get_secret_value()
    )
    text = link_text(settings.public_url, token)
    return ProfilingLink(
        identity_id=identity_id,
        url=text.rsplit(" ", 1)[1],
        text=text,
        expires_in_days=settings.profiling_link_days,
    )
