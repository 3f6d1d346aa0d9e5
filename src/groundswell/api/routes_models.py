"""``/api/v1/models``: the model store's versions with their figures, and switching version.

Listing is open to every signed-in user (agents see which model labelled their posts);
activating a version (a rollback, or promoting a candidate the gate refused) is for admins.
Workers follow the switch within seconds, without a restart.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field

from groundswell.api.audit_trail import audited
from groundswell.api.deps import CSRF_CHECKED, ApiUser, get_app_settings
from groundswell.auth.schemas import UserRead
from groundswell.enrichment.model.store import MAX_VERSIONS, ModelStore, ModelStoreError
from groundswell.settings import Settings

router = APIRouter(tags=["models"])


class ModelVersionRead(BaseModel):
    number: int
    version: str
    created_at: str | None
    parent: int | None
    active: bool
    figures: dict[str, Any]
    gate: dict[str, Any]


class ModelStoreRead(BaseModel):
    active: int
    versions: list[ModelVersionRead]
    history: list[dict[str, Any]]


class ActivateRequest(BaseModel):
    reason: str = Field(default="rollback", min_length=1, max_length=200)


def store_of(settings: Settings) -> ModelStore:
    return ModelStore(settings.model_store_dir)


def store_view(store: ModelStore) -> ModelStoreRead:
    return ModelStoreRead(
        active=store.active(),
        versions=[ModelVersionRead(**card.as_dict()) for card in store.cards()],
        history=store.history()[-50:],
    )


def admin_only(user: ApiUser) -> UserRead:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins switch the model version")
    return user


@router.get("/models", response_model=ModelStoreRead)
def list_models(user: ApiUser, settings: Settings = Depends(get_app_settings)) -> ModelStoreRead:
    """Every version in the store (version 1 is the shipped model) and the active one."""
    return store_view(store_of(settings))


@router.post(
    "/models/{number}/activate",
    response_model=ModelStoreRead,
    dependencies=[
        *CSRF_CHECKED,
        Depends(admin_only),
        audited("model.activate", "model", "number"),
    ],
)
def activate_model(
    number: Annotated[int, Path(ge=1, le=MAX_VERSIONS, description="a model version")],
    body: ActivateRequest | None = None,
    settings: Settings = Depends(get_app_settings),
) -> ModelStoreRead:
    """Use version ``number`` from now on; 404 when the store has no such version."""
    store = store_of(settings)
    try:
        store.activate(number, reason=f"api: {(body or ActivateRequest()).reason}")
    except ModelStoreError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return store_view(store)
