"""The approval queue and reply status."""

from __future__ import annotations

from fastapi import APIRouter, Request

from groundswell.api.deps import CSRF_CHECKED, ApiUser, SessionDep
from groundswell.api.engagement.deps import Lead, actor, caps_of, refuse
from groundswell.api.params import PathId
from groundswell.core.clock import utcnow
from groundswell.core.errors import NotFoundError
from groundswell.engagement import replies
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.engagement.schemas import ApprovalBody, ReplyRead

router = APIRouter(prefix="/engagement", tags=["engagement: replies"])


@router.get(
    "/replies/awaiting-approval",
    summary="Replies waiting for an approver",
    response_model=list[ReplyRead],
)
def api_awaiting(session: SessionDep, _: ApiUser) -> list[ReplyRead]:
    return [ReplyRead.model_validate(r) for r in replies.awaiting_approval(session)]


@router.get(
    "/replies/{reply_id}", summary="One reply and its delivery status", response_model=ReplyRead
)
def api_reply(session: SessionDep, _: ApiUser, reply_id: PathId) -> ReplyRead:
    row = session.get(OutboundReply, reply_id)
    if row is None:
        raise NotFoundError("reply", reply_id)
    return ReplyRead.model_validate(row)


@router.post(
    "/replies/{reply_id}/decision",
    summary="Approve (optionally edited) or reject with a reason",
    response_model=ReplyRead,
    dependencies=CSRF_CHECKED,
)
def api_decide(
    request: Request, session: SessionDep, user: Lead, reply_id: PathId, body: ApprovalBody
) -> ReplyRead:
    row = session.get(OutboundReply, reply_id)
    caps = caps_of(request)(row.channel) if row is not None else None
    try:
        out = replies.decide(
            session,
            reply_id=reply_id,
            approver=replies.Author(user.id, actor(user).role),
            approve=body.decision == "approve",
            now=utcnow(),
            text=body.text,
            reason=body.reason,
            caps=caps,
        )
    except ReplyRefused as exc:
        refuse(exc)
    return ReplyRead.model_validate(out)
