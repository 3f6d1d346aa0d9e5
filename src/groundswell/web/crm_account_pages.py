"""Accounts: the list, one account's contacts with their context, and linking contacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.accounts import create_account, get_account, list_accounts, set_contact_account
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def _refused(request: Request, user: WebUser, message: str, code: int) -> Response:
    return render(
        request,
        "error.html",
        {"active": "contacts", "title": "Not done", "message": message},
        user=user,
        status_code=code,
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    return render(
        request,
        "accounts.html",
        {"active": "contacts", "accounts": list_accounts(session)},
        user=user,
    )


@router.post("/accounts", dependencies=[Csrf])
def account_create(
    request: Request,
    session: SessionDep,
    user: WebUser,
    name: Annotated[str, Form(max_length=300)] = "",
    domain: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    try:
        account = create_account(session, name=name, domain=domain or None)
    except InvalidInputError as exc:
        return _refused(request, user, str(exc), 422)
    session.commit()
    return RedirectResponse(f"/accounts/{account.id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, session: SessionDep, user: WebUser, account_id: PathId
) -> Response:
    try:
        account = get_account(session, account_id=account_id)
    except NotFoundError:
        return _refused(request, user, f"There is no account #{account_id}.", 404)
    return render(
        request, "crm_account.html", {"active": "contacts", "account": account}, user=user
    )


@router.post("/contacts/{contact_id}/account", dependencies=[Csrf])
def contact_account(
    request: Request,
    session: SessionDep,
    user: WebUser,
    contact_id: PathId,
    account_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        chosen = int(account_id) if account_id.strip() else None
        set_contact_account(session, contact_id=contact_id, account_id=chosen)
    except ValueError:
        return _refused(request, user, "Choose an account from the list.", 422)
    except NotFoundError as exc:
        return _refused(request, user, str(exc), 404)
    session.commit()
    return RedirectResponse(f"/contacts/{contact_id}", status_code=status.HTTP_303_SEE_OTHER)
