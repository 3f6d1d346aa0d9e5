"""``/api/v1/channels``: connect, configure, pause and test the networks Groundswell reads.

Admins only: a channel holds the company's credentials. Secrets are accepted in
``settings`` and never answered back: responses list which secrets are set, not their
values.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from groundswell.api.audit_trail import audited
from groundswell.api.deps import CSRF_CHECKED, ApiUser, DatabaseDep, SessionDep
from groundswell.auth.schemas import UserRead
from groundswell.channels.runtime import service
from groundswell.channels.runtime.kinds import all_kinds
from groundswell.channels.runtime.schemas import AccountIn, AccountOut, AccountUpdate
from groundswell.settings import Settings

router = APIRouter(tags=["channels"])


def channels_admin(user: ApiUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins manage channels")
    return user


Admin = Annotated[UserRead, Depends(channels_admin)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


class KindOut(BaseModel):
    name: str
    label: str
    default_key: str
    secret_fields: list[str]
    settings_schema: dict[str, Any]


class TestResult(BaseModel):
    ok: bool
    detail: str


@router.get(
    "/channels/kinds", summary="Connectors that can be connected", response_model=list[KindOut]
)
def api_kinds(_: Admin) -> list[KindOut]:
    return [
        KindOut(
            name=k.name,
            label=k.label,
            default_key=k.default_key,
            secret_fields=list(k.secret_fields),
            settings_schema=k.settings.model_json_schema(),
        )
        for k in all_kinds()
    ]


@router.get("/channels", summary="Connected channels with status", response_model=list[AccountOut])
def api_list(session: SessionDep, settings: SettingsDep, _: Admin) -> list[AccountOut]:
    return service.list_accounts(session, settings=settings)


@router.post(
    "/channels",
    summary="Connect a channel",
    response_model=AccountOut,
    status_code=201,
    dependencies=[*CSRF_CHECKED, audited("channel.connect", "channel", "key")],
)
def api_create(session: SessionDep, settings: SettingsDep, _: Admin, body: AccountIn) -> AccountOut:
    return service.create_account(session, settings=settings, data=body)


@router.get("/channels/{key}", summary="One channel", response_model=AccountOut)
def api_get(session: SessionDep, settings: SettingsDep, _: Admin, key: str) -> AccountOut:
    return service.account_out(session, settings=settings, key=key)


@router.patch(
    "/channels/{key}",
    summary="Change settings",
    response_model=AccountOut,
    dependencies=[*CSRF_CHECKED, audited("channel.update", "channel", "key")],
)
def api_update(
    session: SessionDep, settings: SettingsDep, _: Admin, key: str, body: AccountUpdate
) -> AccountOut:
    return service.update_account(session, settings=settings, key=key, data=body)


@router.post(
    "/channels/{key}/pause",
    summary="Stop reading",
    response_model=AccountOut,
    dependencies=[*CSRF_CHECKED, audited("channel.pause", "channel", "key")],
)
def api_pause(session: SessionDep, settings: SettingsDep, _: Admin, key: str) -> AccountOut:
    return service.set_enabled(session, settings=settings, key=key, enabled=False)


@router.post(
    "/channels/{key}/resume",
    summary="Read again",
    response_model=AccountOut,
    dependencies=[*CSRF_CHECKED, audited("channel.resume", "channel", "key")],
)
def api_resume(session: SessionDep, settings: SettingsDep, _: Admin, key: str) -> AccountOut:
    return service.set_enabled(session, settings=settings, key=key, enabled=True)


@router.post(
    "/channels/{key}/test",
    summary="Test the connection",
    response_model=TestResult,
    dependencies=CSRF_CHECKED,
)
def api_test(
    session: SessionDep, db: DatabaseDep, settings: SettingsDep, _: Admin, key: str
) -> TestResult:
    from groundswell.workers.connectors import test_connection

    service.get_account(session, key=key)  # 404 before any network call
    session.commit()  # the test writes in sessions of its own: release the request's lock
    ok, detail = test_connection(settings, db, key)
    return TestResult(ok=ok, detail=detail)


@router.delete(
    "/channels/{key}",
    summary="Disconnect",
    status_code=204,
    dependencies=[*CSRF_CHECKED, audited("channel.disconnect", "channel", "key")],
)
def api_delete(session: SessionDep, _: Admin, key: str) -> None:
    service.delete_account(session, key=key)
