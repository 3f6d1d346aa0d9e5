"""The inbox: views, filters, priority order, live refresh (HTMX polling) and bulk actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.bounds import MAX_INT64, Id
from groundswell.core.clock import utcnow
from groundswell.crm.models import Interaction, InteractionSubject
from groundswell.crm.segments import list_segments
from groundswell.engagement import actions, cases, config, inbox, lifecycle, replies
from groundswell.engagement.models import Case, CaseConversation
from groundswell.engagement.schemas import InboxFilters
from groundswell.listening.alerts.models import Alert
from groundswell.notify.models import Delivery
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.engagement.common import WebWorker, actor, can_approve, can_work, caps_of
from groundswell.web.templating import render

router = APIRouter()

VIEWS = (
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("team", "My team's"),
    ("all", "All"),
    ("breaching", "Breaching soon"),
    ("approval", "Pending approval"),
)
FILTER_KEYS = (
    "channel",
    "queue_id",
    "status",
    "priority",
    "language",
    "intent",
    "sentiment",
    "tag",
    "segment_id",
    "sort",
)


def _filters(request: Request) -> tuple[InboxFilters, str | None]:
    raw = {k: v for k, v in request.query_params.items() if k in ("view", *FILTER_KEYS) and v != ""}
    try:
        return InboxFilters.model_validate(raw), None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return InboxFilters(), f"{field}: {first['msg']}"


def _context(request: Request, session: SessionDep, user: WebUser) -> dict[str, object]:
    filters, error = _filters(request)
    now = utcnow()
    page = inbox.list_cases(session, user_id=user.id, filters=filters, now=now)
    return {
        "filters": filters,
        "filter_error": error,
        "page": page,
        "views": VIEWS,
        "counts": inbox.counts_by_view(session, user_id=user.id, now=now),
        "names": inbox.user_names(session),
        "queues": config.list_queues(session),
        "canned": config.search_canned(session, limit=50),
        "query": str(request.url.query),
        "now": now,
        "can_work": can_work(user),
        "segments": list_segments(session),
    }


SLA_EVENTS = ("sla_breached", "sla_warning")
NOTICES = 5


def _notices(session: Session, user_id: int, now: datetime) -> list[Delivery]:
    """The latest notices for the top of the inbox: mentions of this user and channels
    to re-authorise, and SLA warnings and breaches of cases that still need an answer.

    A warning about a case answered since, or a warning followed by its breach, only
    pushed the ones that matter out of the five lines: an SLA notice shows while its
    case is still in "breaching soon", once per case."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.alert_id.is_(None),
            or_(
                Delivery.event.in_(SLA_EVENTS),
                (Delivery.event.in_(("mention", "channel_reauth")))
                & (Delivery.target == str(user_id))
                & (Delivery.kind == "in_app"),
            ),
        )
        .order_by(Delivery.id.desc())
        .limit(100)
    ).all()
    case_ids = {
        int(d.payload["case_id"])
        for d in rows
        if d.event in SLA_EVENTS and isinstance(d.payload.get("case_id"), int)
    }
    pressing = (
        set(
            session.scalars(
                select(Case.id).where(
                    Case.id.in_(case_ids),
                    Case.status.in_(lifecycle.ACTIVE),
                    inbox.breaching(session, now),
                )
            )
        )
        if case_ids
        else set()
    )
    out: list[Delivery] = []
    shown: set[int] = set()
    for d in rows:
        if d.event in SLA_EVENTS:
            case_id = d.payload.get("case_id")
            if case_id not in pressing or case_id in shown:
                continue
            shown.add(case_id)
        out.append(d)
        if len(out) == NOTICES:
            break
    return out


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    ctx = _context(request, session, user)
    ctx["flash"] = request.session.pop("flash", None)
    ctx["notices"] = _notices(session, user.id, utcnow())
    ctx["alerts"] = session.scalars(
        select(Alert).where(Alert.status != "resolved").order_by(Alert.id.desc()).limit(20)
    ).all()
    return render(
        request,
        "engagement/inbox.html",
        {"active": "inbox", **ctx},
        user=user,
        status_code=422 if ctx["filter_error"] else 200,
    )


@router.get("/inbox/list", response_class=HTMLResponse)
def inbox_list(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The list alone, polled by the page every few seconds."""
    return render(
        request, "engagement/_inbox_list.html", _context(request, session, user), user=user
    )


@router.post("/inbox/bulk", dependencies=[Csrf])
def inbox_bulk(
    request: Request,
    session: SessionDep,
    user: WebWorker,
    case_ids: Annotated[list[Id], Form(max_length=200)],
    action: Annotated[str, Form(max_length=20)],
    user_id: Annotated[str, Form(max_length=20)] = "",
    tag: Annotated[str, Form(max_length=50)] = "",
    canned_id: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if action not in ("assign", "tag", "resolve", "canned_reply"):
        return _refused(request, user, f"Unknown bulk action {action!r}.", status=422)
    s = request.app.state.settings
    done, refused = actions.bulk(
        session,
        case_ids=case_ids,
        action=action,
        actor=actor(user),
        caps_of=caps_of(request),
        now=utcnow(),
        user_id=int(user_id) if user_id.isdigit() else None,
        tag=tag.strip() or None,
        canned_id=int(canned_id) if canned_id.isdigit() else None,
        secret=s.secret_key.get_secret_value(),
        public_url=s.public_url,
    )
    session.commit()
    note = f"{len(done)} done" + (
        f", {len(refused)} refused: " + "; ".join(f"#{k} {v}" for k, v in refused.items())
        if refused
        else ""
    )
    request.session["flash"] = note[:500]
    target = "/inbox" + (("?" + back) if back and not back.startswith(("/", "http")) else "")
    return RedirectResponse(target, status_code=303)


@router.get("/inbox/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    rows = replies.awaiting_approval(session)
    subjects = {
        c.id: c.subject
        for c in session.scalars(select(Case).where(Case.id.in_([r.case_id for r in rows])))
    }
    return render(
        request,
        "engagement/approvals.html",
        {
            "active": "inbox",
            "rows": rows,
            "subjects": subjects,
            "names": inbox.user_names(session),
            "can_approve": can_approve(user),
            "flash": request.session.pop("flash", None),
        },
        user=user,
    )


@router.get("/inbox/proactive", response_class=HTMLResponse)
def proactive_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Unhappy posts about a tracked subject that did not address the brand and have no case."""
    in_case = exists().where(and_(CaseConversation.conversation_id == Interaction.conversation_id))
    rows = session.scalars(
        select(Interaction)
        .where(Interaction.direction == "in", Interaction.sentiment_label == "negative")
        .where(Interaction.reply_to_external_id.is_(None))
        .where(Interaction.id.in_(select(InteractionSubject.interaction_id)))
        .where(~in_case)
        .order_by(Interaction.created_at.desc())
        .limit(limit)
    ).all()
    return render(
        request,
        "engagement/proactive.html",
        {"active": "inbox", "rows": rows, "can_work": can_work(user)},
        user=user,
    )


@router.post("/inbox/proactive/{interaction_id}", dependencies=[Csrf])
def proactive_open(
    request: Request, session: SessionDep, user: WebWorker, interaction_id: PathId
) -> Response:
    row = session.get(Interaction, interaction_id)
    if row is None:
        return _refused(request, user, f"There is no post #{interaction_id}.", status=404)
    from groundswell.channels.models import Channel

    key = session.scalar(select(Channel.key).where(Channel.id == row.channel_id)) or "unknown"
    case, _ = cases.open_or_attach(
        session, interaction=row, channel=key, now=utcnow(), actor_id=user.id
    )
    cases.set_tags(
        session, case_id=case.id, add=["proactive"], remove=[], actor_id=user.id, now=utcnow()
    )
    session.commit()
    return RedirectResponse(f"/inbox/cases/{case.id}", status_code=303)


@router.post("/inbox/crisis", dependencies=[Csrf])
def crisis_open(
    request: Request,
    session: SessionDep,
    user: WebWorker,
    alert_id: Annotated[int, Form(ge=1, le=MAX_INT64)],
) -> Response:
    from groundswell.core.errors import InvalidInputError

    try:
        case = actions.open_crisis_case(session, alert_id=alert_id, actor=actor(user), now=utcnow())
    except InvalidInputError as exc:
        return _refused(request, user, str(exc), status=422)
    session.commit()
    return RedirectResponse(f"/inbox/cases/{case.id}", status_code=303)


def _refused(request: Request, user: WebUser, message: str, *, status: int = 403) -> Response:
    return render(
        request,
        "error.html",
        {
            "active": "inbox",
            "title": "Not allowed" if status == 403 else "Cannot do that",
            "message": message,
        },
        user=user,
        status_code=status,
    )


@router.get("/inbox/setup", response_class=HTMLResponse)
def setup_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    dry_run: Annotated[int | None, Query(ge=1, le=MAX_INT64)] = None,
    last: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> Response:
    """Queues, agents, rules (with a dry-run over the last N posts), SLA policies, canned."""
    from groundswell.engagement.rules.service import dry_run as run_dry

    rules = config.list_rules(session)
    tried = None
    if dry_run is not None:
        spec = next((r for r in rules if r.id == dry_run), None)
        if spec is not None:
            rows = run_dry(session, spec=spec, last=last)
            tried = {
                "rule": spec,
                "last": last,
                "matched": [(i, key) for i, key, hit in rows if hit],
                "total": len(rows),
            }
    return render(
        request,
        "engagement/setup.html",
        {
            "active": "inbox",
            "queues": config.list_queues(session),
            "agents": config.list_agents(session),
            "rules": rules,
            "policies": config.list_sla_policies(session),
            "canned": config.search_canned(session, limit=100),
            "names": inbox.user_names(session),
            "tried": tried,
        },
        user=user,
    )
