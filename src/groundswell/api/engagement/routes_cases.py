"""Cases: the inbox, one case, its lifecycle, assignment, tags, notes, replies, bulk."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep
from groundswell.api.engagement.deps import (
    COLLISION_RESPONSE,
    Worker,
    actor,
    caps_of,
    refuse,
    settings_of,
)
from groundswell.api.params import PathId, QueryId, SegmentId
from groundswell.core.bounds import Id
from groundswell.core.clock import utcnow
from groundswell.engagement import actions, case_merge, cases, inbox
from groundswell.engagement.actions import Collision
from groundswell.engagement.presence import board
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.engagement.schemas import (
    AssignBody,
    BulkBody,
    BulkResult,
    CaseDetail,
    CaseRead,
    InboxFilters,
    InboxPage,
    MergeBody,
    NoteCreate,
    NoteRead,
    ReplyCreate,
    ReplyRead,
    StatusBody,
    TagBody,
    View,
)

router = APIRouter(prefix="/engagement", tags=["engagement: cases"])


@router.get("/cases", summary="The inbox: cases by view and filters", response_model=InboxPage)
def api_inbox(
    session: SessionDep,
    user: ApiUser,
    view: View = "all",
    channel: Annotated[str | None, Query(max_length=64)] = None,
    queue_id: QueryId = None,
    status: Literal["new", "open", "pending", "resolved", "closed", "active"] = "active",
    priority: Literal["low", "normal", "high", "urgent"] | None = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    intent: Annotated[str | None, Query(max_length=64)] = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    segment_id: SegmentId = None,
    sort: Literal["priority", "due", "recent"] = "priority",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InboxPage:
    """By priority unless ``sort`` says otherwise; ``status=active``: new, open, pending."""
    filters = InboxFilters(
        view=view,
        channel=channel,
        queue_id=queue_id,
        status=status,
        priority=priority,
        language=language,
        intent=intent,
        sentiment=sentiment,
        tag=tag,
        segment_id=segment_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return inbox.list_cases(session, user_id=user.id, filters=filters, now=utcnow())


@router.get(
    "/cases/{case_id}",
    summary="One case: thread, notes, timeline, customer",
    response_model=CaseDetail,
)
def api_case(session: SessionDep, _: ApiUser, case_id: PathId) -> CaseDetail:
    return inbox.case_detail(session, case_id=case_id)


@router.post(
    "/cases/{case_id}/status",
    summary="Open, pend, resolve, close or reopen",
    response_model=CaseRead,
    dependencies=CSRF_CHECKED,
)
def api_status(
    request: Request, session: SessionDep, user: Worker, case_id: PathId, body: StatusBody
) -> CaseRead:
    now = utcnow()
    if body.action == "resolve":
        s = settings_of(request)
        case = actions.resolve(
            session,
            case_id=case_id,
            actor=actor(user),
            caps_of=caps_of(request),
            now=now,
            secret=s.secret_key.get_secret_value(),
            public_url=s.public_url,
            csat_days=s.csat_link_days,
        )
    else:
        case = cases.change_status(
            session, case_id=case_id, action=body.action, actor_id=user.id, now=now
        )
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/assign",
    summary="Assign to an agent and/or queue",
    response_model=CaseRead,
    dependencies=CSRF_CHECKED,
)
def api_assign(session: SessionDep, user: Worker, case_id: PathId, body: AssignBody) -> CaseRead:
    case = cases.assign(
        session,
        case_id=case_id,
        actor_id=user.id,
        now=utcnow(),
        user_id=body.user_id,
        queue_id=body.queue_id,
        auto=body.auto,
    )
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/merge",
    summary="Merge another active case of the same customer into this one",
    response_model=CaseRead,
    dependencies=CSRF_CHECKED,
)
def api_merge(session: SessionDep, user: Worker, case_id: PathId, body: MergeBody) -> CaseRead:
    case = case_merge.merge_into(
        session, target_id=case_id, source_id=body.source_id, actor_id=user.id, now=utcnow()
    )
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/tags",
    summary="Add and remove tags",
    response_model=CaseRead,
    dependencies=CSRF_CHECKED,
)
def api_tags(session: SessionDep, user: Worker, case_id: PathId, body: TagBody) -> CaseRead:
    case = cases.set_tags(
        session, case_id=case_id, add=body.add, remove=body.remove, actor_id=user.id, now=utcnow()
    )
    return CaseRead.model_validate(case)


@router.post(
    "/cases/{case_id}/notes",
    summary="A private note (@mentions notify colleagues)",
    response_model=NoteRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
)
def api_note(session: SessionDep, user: Worker, case_id: PathId, body: NoteCreate) -> NoteRead:
    return NoteRead.model_validate(
        cases.add_note(session, case_id=case_id, author_id=user.id, text=body.text, now=utcnow())
    )


@router.post(
    "/cases/{case_id}/replies",
    summary="Reply through the customer's channel",
    response_model=ReplyRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
    responses=COLLISION_RESPONSE,
)
def api_reply(
    request: Request, session: SessionDep, user: Worker, case_id: PathId, body: ReplyCreate
) -> ReplyRead:
    """Checked before anything is queued (length, visibility, reply window, role); a reply
    that needs approval answers ``awaiting_approval``. With ``seen_version`` a case that
    changed meanwhile answers 409 saying what changed, unless ``force``."""
    s = settings_of(request)
    try:
        out = actions.reply(
            session,
            case_id=case_id,
            actor=actor(user),
            caps_of=caps_of(request),
            now=utcnow(),
            text=body.text,
            canned_id=body.canned_id,
            visibility=body.visibility,
            seen_version=body.seen_version,
            force=body.force,
            secret=s.secret_key.get_secret_value(),
            public_url=s.public_url,
            csat_days=s.csat_link_days,
            via=body.via,
        )
    except (ReplyRefused, Collision) as exc:
        refuse(exc)
    return ReplyRead.model_validate(out)


@router.post(
    "/cases/bulk",
    summary="One action on many cases",
    response_model=BulkResult,
    dependencies=CSRF_CHECKED,
)
def api_bulk(request: Request, session: SessionDep, user: Worker, body: BulkBody) -> BulkResult:
    s = settings_of(request)
    done, refused = actions.bulk(
        session,
        case_ids=body.case_ids,
        action=body.action,
        actor=actor(user),
        caps_of=caps_of(request),
        now=utcnow(),
        user_id=body.user_id,
        tag=body.tag,
        canned_id=body.canned_id,
        secret=s.secret_key.get_secret_value(),
        public_url=s.public_url,
    )
    return BulkResult(done=done, refused=refused)


class PresenceBody(BaseModel):
    state: Literal["viewing", "typing"]


class PresenceRead(BaseModel):
    user_id: int
    name: str
    state: str


@router.post(
    "/cases/{case_id}/presence",
    summary="I am viewing or typing; who else is",
    response_model=list[PresenceRead],
    dependencies=CSRF_CHECKED,
)
def api_presence(
    session: SessionDep, user: ApiUser, case_id: PathId, body: PresenceBody
) -> list[PresenceRead]:
    cases.get_case(session, case_id)
    board.touch(case_id, user.id, user.name or user.email, body.state)
    return [
        PresenceRead(user_id=p.user_id, name=p.name, state=p.state)
        for p in board.others(case_id, user.id)
    ]


class CrisisBody(BaseModel):
    alert_id: Id


class CrisisReplyBody(BaseModel):
    canned_id: Id


class CrisisReplyResult(BaseModel):
    queued: int
    refused: dict[str, int] = Field(description="channel → posts that could not be answered")


@router.post(
    "/crisis",
    summary="One crisis case linking every conversation behind an alert",
    response_model=CaseRead,
    status_code=201,
    dependencies=CSRF_CHECKED,
)
def api_crisis(session: SessionDep, user: Worker, body: CrisisBody) -> CaseRead:
    return CaseRead.model_validate(
        actions.open_crisis_case(session, alert_id=body.alert_id, actor=actor(user), now=utcnow())
    )


@router.post(
    "/crisis/{case_id}/reply",
    summary="Canned reply to every linked post, through approval",
    response_model=CrisisReplyResult,
    dependencies=CSRF_CHECKED,
)
def api_crisis_reply(
    request: Request, session: SessionDep, user: Worker, case_id: PathId, body: CrisisReplyBody
) -> CrisisReplyResult:
    queued, refused = actions.crisis_bulk_reply(
        session,
        case_id=case_id,
        canned_id=body.canned_id,
        actor=actor(user),
        caps_of=caps_of(request),
        now=utcnow(),
    )
    return CrisisReplyResult(queued=queued, refused=refused)
