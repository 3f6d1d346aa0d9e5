"""Contacts: search, and one contact's identities and cross-channel timeline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.core.errors import NotFoundError
from groundswell.crm.clv_service import customer_value
from groundswell.crm.read import contact_timeline, get_contact, search_contacts
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

TIMELINE_LIMIT = 500


@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(
    request: Request, session: SessionDep, user: WebUser, q: str | None = None
) -> Response:
    query = (q or "").strip()[:200]
    contacts = search_contacts(session, q=query, limit=100)
    return render(
        request,
        "contacts.html",
        {"active": "contacts", "q": query, "contacts": contacts},
        user=user,
    )


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(request: Request, session: SessionDep, user: WebUser, contact_id: int) -> Response:
    try:
        contact = get_contact(session, contact_id=contact_id)
        timeline = contact_timeline(session, contact_id=contact_id, limit=TIMELINE_LIMIT)
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
            "timeline": timeline,
            "value": customer_value(session, contact_id=contact_id),
        },
        user=user,
    )
