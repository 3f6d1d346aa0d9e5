"""The channels page: what Groundswell reads and answers through, for admins.

Status, lag, errors, rate limits and budget per channel, refreshed by HTMX; connect,
pause, resume and test. Secrets are typed into password fields and never rendered back.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.audit_trail import audited
from groundswell.api.deps import DatabaseDep, SessionDep
from groundswell.auth.schemas import UserRead
from groundswell.channels.runtime import service
from groundswell.channels.runtime.kinds import all_kinds, get_kind
from groundswell.channels.runtime.schemas import AccountIn, AccountOut, AccountUpdate
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.settings import Settings
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render
from groundswell.web.webchat_pages import embed_tag
from groundswell.workers.reauth_alerts import what_to_do

router = APIRouter(include_in_schema=False)


def channels_admin(user: WebUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins manage channels")
    return user


Admin = Annotated[UserRead, Depends(channels_admin)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _context(accounts: list[AccountOut], **extra: Any) -> dict[str, Any]:
    kinds = all_kinds()
    return {
        "tested": None,
        "reauth_errors": {},
        "errors": {},
        "form_kind": "",
        "form_name": "",
        "form_key": "",
        "form_settings": "",
        "active": "channels",
        "accounts": accounts,
        "kinds": kinds,
        "examples": {k.name: json.dumps(k.example, indent=2) for k in kinds if k.example},
        "reauth_todo": what_to_do,
        "secret_fields": {k.name: k.secret_fields for k in kinds},
        "embed_tag": embed_tag,
        **extra,
    }


@router.get("/channels", response_class=HTMLResponse)
def channels_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: Admin
) -> Response:
    accounts = service.list_accounts(session, settings=settings)
    return render(request, "channels.html", _context(accounts), user=user)


@router.get("/channels/table", response_class=HTMLResponse)
def channels_table(
    request: Request, session: SessionDep, settings: SettingsDep, user: Admin
) -> Response:
    accounts = service.list_accounts(session, settings=settings)
    return render(request, "_channels_table.html", _context(accounts), user=user)


@router.post("/channels", response_class=HTMLResponse, dependencies=[Csrf])
async def channels_connect(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Admin,
    kind: Annotated[str, Form(max_length=32)],
    name: Annotated[str, Form(max_length=200)],
    settings_json: Annotated[str, Form(max_length=20_000)] = "{}",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        parsed = json.loads(settings_json or "{}")
        if not isinstance(parsed, dict):
            raise ValueError("must be a JSON object")
        values = parsed
        for secret in get_kind(kind).secret_fields:
            given = form.get(f"secret_{kind}_{secret}")
            if isinstance(given, str) and given:
                values[secret] = given
        service.create_account(
            session,
            settings=settings,
            data=AccountIn(kind=kind, name=name or kind, key=key or None, settings=values),
        )
    except (ValueError, LookupError) as exc:
        errors["settings"] = f"settings: {exc}"
    except InvalidInputError as exc:
        errors[exc.field or "settings"] = str(exc)
    if errors:
        session.rollback()
        accounts = service.list_accounts(session, settings=settings)
        ctx = _context(
            accounts,
            errors=errors,
            form_kind=kind,
            form_name=name,
            form_key=key,
            form_settings=settings_json,
        )
        return render(request, "channels.html", ctx, user=user, status_code=422)
    return RedirectResponse("/channels", status_code=status.HTTP_303_SEE_OTHER)


@router.post(
    "/channels/{key}/pause", dependencies=[Csrf, audited("channel.pause", "channel", "key")]
)
def channels_pause(session: SessionDep, settings: SettingsDep, _: Admin, key: str) -> Response:
    service.set_enabled(session, settings=settings, key=key, enabled=False)
    return RedirectResponse("/channels", status_code=status.HTTP_303_SEE_OTHER)


@router.post(
    "/channels/{key}/resume", dependencies=[Csrf, audited("channel.resume", "channel", "key")]
)
def channels_resume(session: SessionDep, settings: SettingsDep, _: Admin, key: str) -> Response:
    service.set_enabled(session, settings=settings, key=key, enabled=True)
    return RedirectResponse("/channels", status_code=status.HTTP_303_SEE_OTHER)


MAX_SECRET = 4000


@router.post(
    "/channels/{key}/credentials",
    response_class=HTMLResponse,
    dependencies=[Csrf, audited("channel.credentials", "channel", "key")],
)
async def channels_credentials(
    request: Request, session: SessionDep, settings: SettingsDep, user: Admin, key: str
) -> Response:
    """New secrets for a channel (after "needs re-auth"): the others are kept, the channel
    goes back to ``new`` and the runner reads it again."""
    try:
        account = service.get_account(session, key=key)
    except NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no channel {key!r}") from None
    form = await request.form()
    given: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for secret in get_kind(account.kind).secret_fields:
        value = form.get(f"secret_{secret}")
        if isinstance(value, str) and value:
            if len(value) > MAX_SECRET:
                errors[secret] = f"{secret}: at most {MAX_SECRET} characters"
            given[secret] = value
    if not given and not errors:
        errors["settings"] = "credentials: enter at least one new secret"
    if not errors:
        try:
            service.update_account(
                session, settings=settings, key=key, data=AccountUpdate(settings=given)
            )
        except InvalidInputError as exc:
            errors[exc.field or "settings"] = str(exc)
    if errors:
        session.rollback()
        accounts = service.list_accounts(session, settings=settings)
        ctx = _context(accounts, reauth_errors={key: "; ".join(errors.values())})
        return render(request, "channels.html", ctx, user=user, status_code=422)
    return RedirectResponse("/channels", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/channels/{key}/test", response_class=HTMLResponse, dependencies=[Csrf])
def channels_test(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    user: Admin,
    key: str,
) -> Response:
    from groundswell.workers.connectors import test_connection

    try:
        service.get_account(session, key=key)
    except NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no channel {key!r}") from None
    session.commit()  # the test writes in sessions of its own: release the request's lock
    ok, detail = test_connection(settings, db, key)
    accounts = service.list_accounts(session, settings=settings)
    ctx = _context(accounts, tested={"key": key, "ok": ok, "detail": detail})
    return render(request, "channels.html", ctx, user=user)
