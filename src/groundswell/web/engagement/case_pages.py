"""One case: the cross-channel thread, notes, timeline, customer panel, the composer with
the channel's rules, collision warnings, presence, and the case actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import MAX_INT64
from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.engagement import actions, case_merge, cases, config, inbox, replies, timeline
from groundswell.engagement.actions import Collision
from groundswell.engagement.lifecycle import Action
from groundswell.engagement.models import Case
from groundswell.engagement.presence import board
from groundswell.engagement.reply_policy import ReplyRefused
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.engagement.common import (
    actor,
    can_approve,
    can_work,
    caps_of,
    connector_label,
)
from groundswell.web.templating import render

router = APIRouter()

STATUS_ACTIONS: dict[str, Action] = {
    "open": "open",
    "pend": "pend",
    "close": "close",
    "reopen": "reopen",
}


def _page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    try:
        detail = inbox.case_detail(session, case_id=case_id)
    except NotFoundError:
        return render(
            request,
            "error.html",
            {
                "active": "inbox",
                "title": "Case not found",
                "message": f"There is no case #{case_id}.",
            },
            user=user,
            status_code=404,
        )
    channel = detail.case.channel
    caps = caps_of(request)(channel)
    # The channels this customer wrote on in the case that can carry an answer: the
    # composer offers them when the case's own channel cannot (a review site) or as a
    # choice when there are several.
    answerable = []
    case_row = session.get(Case, case_id)
    for key in replies.case_channels(session, case_row) if case_row is not None else []:
        found = caps_of(request)(key)
        if found is not None and (found.public or found.private):
            answerable.append((key, found, connector_label(request, key)))
    queues = config.list_queues(session)
    names = inbox.user_names(session)
    ctx: dict[str, Any] = {
        "active": "inbox",
        "d": detail,
        "c": detail.case,
        "caps": caps,
        "connector": connector_label(request, channel),
        "answerable": answerable,
        "names": names,
        "queues": queues,
        "queue_names": {q.id: q.name for q in queues},
        "timeline": timeline.rows(
            detail.events, users=names, queues={q.id: q.name for q in queues}
        ),
        "canned": config.search_canned(session, limit=50),
        "can_work": can_work(user),
        "can_approve": can_approve(user),
        "now": utcnow(),
        "error": None,
        "collision": None,
        "draft": "",
        "flash": request.session.pop("flash", None),
    }
    ctx.update(extra)
    return render(request, "engagement/case.html", ctx, user=user, status_code=status)


def _act(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: int,
    *,
    refused: str,
    run: Callable[[], object],
    anchor: str = "",
) -> Response:
    """One form action on a case: workers only, a refusal shown on the page with its
    field (nothing of it kept), else committed and back to the case."""
    if not can_work(user):
        return _page(request, session, user, case_id, status=403, error=refused)
    try:
        run()
    except InvalidInputError as exc:
        session.rollback()
        return _page(
            request, session, user, case_id, status=422, error=f"{exc} (field: {exc.field})"
        )
    session.commit()
    return RedirectResponse(f"/inbox/cases/{case_id}{anchor}", status_code=303)


@router.get("/inbox/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: SessionDep, user: WebUser, case_id: PathId) -> Response:
    board.touch(case_id, user.id, user.name or user.email, "viewing")
    return _page(request, session, user, case_id)


@router.get("/inbox/cases/{case_id}/thread", response_class=HTMLResponse)
def case_thread(request: Request, session: SessionDep, user: WebUser, case_id: PathId) -> Response:
    """The thread alone, polled so reply status and new messages appear live."""
    try:
        detail = inbox.case_detail(session, case_id=case_id)
    except NotFoundError:
        return Response(status_code=404)
    return render(request, "engagement/_thread.html", {"d": detail, "c": detail.case}, user=user)


@router.post("/inbox/cases/{case_id}/presence", response_class=HTMLResponse, dependencies=[Csrf])
def presence(
    request: Request,
    user: WebUser,
    case_id: PathId,
    state: Annotated[str, Form(max_length=10)] = "viewing",
) -> Response:
    board.touch(
        case_id, user.id, user.name or user.email, "typing" if state == "typing" else "viewing"
    )
    return render(
        request, "engagement/_presence.html", {"others": board.others(case_id, user.id)}, user=user
    )


@router.post("/inbox/cases/{case_id}/reply", dependencies=[Csrf])
def reply(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    text: Annotated[str, Form(max_length=20000)] = "",
    canned_id: Annotated[str, Form(max_length=20)] = "",
    visibility: Annotated[str, Form(max_length=10)] = "",
    seen_version: Annotated[str, Form(max_length=20)] = "",
    force: Annotated[str, Form(max_length=5)] = "",
    via: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if not can_work(user):
        return _page(
            request,
            session,
            user,
            case_id,
            status=403,
            error="Analysts read cases; only agents, leads and admins reply.",
        )
    s = request.app.state.settings
    try:
        actions.reply(
            session,
            case_id=case_id,
            actor=actor(user),
            caps_of=caps_of(request),
            now=utcnow(),
            text=text or None,
            canned_id=int(canned_id) if canned_id.isdigit() else None,
            visibility=visibility if visibility in ("public", "private") else None,
            seen_version=int(seen_version) if seen_version.isdigit() else None,
            force=force == "1",
            secret=s.secret_key.get_secret_value(),
            public_url=s.public_url,
            csat_days=s.csat_link_days,
            via=via or None,
        )
    except Collision as exc:
        session.rollback()
        return _page(
            request,
            session,
            user,
            case_id,
            status=409,
            collision=exc.what,
            draft=text,
            draft_canned=canned_id,
        )
    except (ReplyRefused, InvalidInputError) as exc:
        session.rollback()
        field = getattr(exc, "field", None)
        return _page(
            request,
            session,
            user,
            case_id,
            status=getattr(exc, "status", 422),
            error=f"{exc} (field: {field})",
            draft=text,
        )
    session.commit()
    return RedirectResponse(f"/inbox/cases/{case_id}", status_code=303)


@router.post("/inbox/cases/{case_id}/note", dependencies=[Csrf])
def note(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    return _act(
        request,
        session,
        user,
        case_id,
        refused="Only agents, leads and admins write notes.",
        run=lambda: cases.add_note(
            session, case_id=case_id, author_id=user.id, text=text, now=utcnow()
        ),
        anchor="#notes",
    )


@router.post("/inbox/cases/{case_id}/status", dependencies=[Csrf])
def status(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    action: Annotated[str, Form(max_length=10)],
) -> Response:
    s = request.app.state.settings

    def run() -> None:
        if action == "resolve":
            actions.resolve(
                session,
                case_id=case_id,
                actor=actor(user),
                caps_of=caps_of(request),
                now=utcnow(),
                secret=s.secret_key.get_secret_value(),
                public_url=s.public_url,
                csat_days=s.csat_link_days,
            )
        elif action in STATUS_ACTIONS:
            cases.change_status(
                session,
                case_id=case_id,
                action=STATUS_ACTIONS[action],
                actor_id=user.id,
                now=utcnow(),
            )
        else:
            raise InvalidInputError(f"unknown action {action!r}", field="action")

    return _act(
        request,
        session,
        user,
        case_id,
        refused="Only agents, leads and admins change a case.",
        run=run,
    )


@router.post("/inbox/cases/{case_id}/merge", dependencies=[Csrf])
def merge(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    source_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def run() -> None:
        if not source_id.isdigit() or not 1 <= int(source_id) <= 2**31 - 1:
            raise InvalidInputError("choose the case to merge in", field="source_id")
        case_merge.merge_into(
            session, target_id=case_id, source_id=int(source_id), actor_id=user.id, now=utcnow()
        )

    return _act(
        request,
        session,
        user,
        case_id,
        refused="Only agents, leads and admins merge cases.",
        run=run,
    )


@router.post("/inbox/cases/{case_id}/assign", dependencies=[Csrf])
def assign(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    user_id: Annotated[str, Form(max_length=20)] = "",
    queue_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return _act(
        request,
        session,
        user,
        case_id,
        refused="Only agents, leads and admins assign cases.",
        run=lambda: cases.assign(
            session,
            case_id=case_id,
            actor_id=user.id,
            now=utcnow(),
            user_id=int(user_id) if user_id.isdigit() else None,
            queue_id=int(queue_id) if queue_id.isdigit() else None,
        ),
    )


@router.post("/inbox/replies/{reply_id}/decision", dependencies=[Csrf])
def decide(
    request: Request,
    session: SessionDep,
    user: WebUser,
    reply_id: PathId,
    decision: Annotated[str, Form(max_length=10)],
    text: Annotated[str, Form(max_length=20000)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from groundswell.engagement.reply_models import OutboundReply

    row = session.get(OutboundReply, reply_id)
    if row is None:
        return render(
            request,
            "error.html",
            {
                "active": "inbox",
                "title": "Reply not found",
                "message": f"There is no reply #{reply_id}.",
            },
            user=user,
            status_code=404,
        )
    try:
        replies.decide(
            session,
            reply_id=reply_id,
            approver=replies.Author(user.id, user.role),
            approve=decision == "approve",
            now=utcnow(),
            text=text or None,
            reason=reason or None,
            caps=caps_of(request)(row.channel),
        )
    except (ReplyRefused, InvalidInputError) as exc:
        session.rollback()
        code = getattr(exc, "status", 422)
        return _page(
            request,
            session,
            user,
            row.case_id,
            status=code,
            error=f"{exc} (field: {getattr(exc, 'field', None)})",
        )
    session.commit()
    request.session["flash"] = (
        f"Reply #{reply_id} {'approved' if decision == 'approve' else 'rejected'}."
    )
    return RedirectResponse("/inbox/approvals", status_code=303)


@router.post("/inbox/cases/{case_id}/crisis-reply", dependencies=[Csrf])
def crisis_reply(
    request: Request,
    session: SessionDep,
    user: WebUser,
    case_id: PathId,
    canned_id: Annotated[int, Form(ge=1, le=MAX_INT64)],
) -> Response:
    if not can_work(user):
        return _page(
            request,
            session,
            user,
            case_id,
            status=403,
            error="Only agents, leads and admins reply.",
        )
    try:
        queued, refused = actions.crisis_bulk_reply(
            session,
            case_id=case_id,
            canned_id=canned_id,
            actor=actor(user),
            caps_of=caps_of(request),
            now=utcnow(),
        )
    except InvalidInputError as exc:
        session.rollback()
        return _page(
            request, session, user, case_id, status=422, error=f"{exc} (field: {exc.field})"
        )
    session.commit()
    request.session["flash"] = f"{queued} replies wait for approval" + (
        f"; not possible on: {', '.join(f'{k} ({v})' for k, v in refused.items())}"
        if refused
        else ""
    )
    return RedirectResponse(f"/inbox/cases/{case_id}", status_code=303)
