"""Contacts: the paged, sortable list, and one contact's identities, value and timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId, QueryId
from groundswell.core.errors import NotFoundError
from groundswell.crm.accounts import list_accounts
from groundswell.crm.clv.service import customer_value
from groundswell.crm.consent import PRIVATE_CHANNELS, consents_of, may_see_private
from groundswell.crm.contact_list import (
    SORT_KEYS,
    first_touch,
    list_contacts,
    parse_cursor,
    timeline_page,
)
from groundswell.crm.journey import journey_of
from groundswell.crm.journey_stages import reply_lift
from groundswell.crm.notes import notes_of, tags_of
from groundswell.crm.read import get_contact, list_channels
from groundswell.crm.segment_models import Segment
from groundswell.crm.segments import list_segments, segment_members
from groundswell.crm.visibility import redact
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TIMELINE_PAGE = 50


@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str, Query(max_length=20)] = "last_touch",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    segment: QueryId = None,
) -> Response:
    query = (q or "").strip()[:200]
    key = sort if sort in SORT_KEYS else "last_touch"
    chosen = session.get(Segment, segment) if segment else None
    listing = list_contacts(
        session,
        q=query,
        sort=key,  # type: ignore[arg-type]
        descending=order == "desc",
        page=page,
        page_size=PAGE_SIZE,
        tag=tag or None,
        members=segment_members(session, segment_id=chosen.id) if chosen else None,
    )
    return render(
        request,
        "contacts.html",
        {
            "active": "contacts",
            "q": query,
            "tag": tag or "",
            "segment": chosen,
            "segments": list_segments(session),
            "contacts": listing.items,
            "listing": listing,
            "sort": key,
            "order": order,
            "has_next": page * PAGE_SIZE < listing.total,
        },
        user=user,
    )


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    direction: Annotated[str | None, Query(max_length=8)] = None,
    before: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    cursor = None
    if before:
        try:
            cursor = parse_cursor(before)
        except ValueError:
            cursor = None
    try:
        contact = get_contact(session, contact_id=contact_id)
        timeline = timeline_page(
            session,
            contact_id=contact_id,
            channel=channel or None,
            direction="in" if direction == "in" else "out" if direction == "out" else None,
            before=cursor,
            limit=TIMELINE_PAGE,
        )
    except NotFoundError:
        return render(
            request,
            "error.html",
            {
                "active": "contacts",
                "title": "Contact not found",
                "message": f"There is no contact #{contact_id}.",
            },
            user=user,
            status_code=404,
        )
    return render(
        request,
        "contact.html",
        {
            "active": "contacts",
            "contact": contact,
            "timeline": timeline.model_copy(
                update={"items": redact(timeline.items, role=user.role)}
            ),
            "value": customer_value(session, contact_id=contact_id),
            "tags": tags_of(session, contact_id=contact_id),
            "journey": journey_of(session, contact_id=contact_id),
            "lift": reply_lift(session, contact_id=contact_id),
            "accounts": list_accounts(session),
            "consents": consents_of(session, contact_id=contact_id),
            "private_ok": may_see_private(user.role),
            "private_channels": PRIVATE_CHANNELS,
            "notes": notes_of(session, contact_id=contact_id),
            "first_touch": first_touch(session, contact_id=contact_id),
            "channels": list_channels(session),
            "channel": channel or "",
            "direction": direction if direction in ("in", "out") else "",
        },
        user=user,
    )
