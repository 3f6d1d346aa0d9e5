"""``/api/v1`` routes for corrections of sentiment and intent, and the model in use.

Every role may correct: agents see the posts first, analysts own the numbers, and both
are who the model should learn from. Who corrected what, and when, is kept.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from groundswell.api.deps import ApiUser, SessionDep, browser_csrf, get_app_settings
from groundswell.api.params import PathId
from groundswell.core.clock import to_utc
from groundswell.crm.correction_schemas import CorrectionCreate, CorrectionRead, ModelRead
from groundswell.crm.corrections import correct, list_corrections
from groundswell.enrichment.pipeline import Enricher
from groundswell.settings import Settings

router = APIRouter(tags=["corrections"])


@lru_cache(maxsize=4)
def model_in_use(mode: str) -> ModelRead:
    """The model behind ``mode``, built once per process: loading a model is not free."""
    versions = dict(Enricher(sentiment_mode=mode).versions)
    version = versions.get("sentiment", "unknown")
    versions.pop("subjects", None)  # changes with every subject edit; not the model
    return ModelRead(mode=mode, name=version.split("-", 1)[0], version=version, versions=versions)


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC, as every time the API returns is."""
    return None if value is None else to_utc(value)


@router.post(
    "/interactions/{interaction_id}/corrections",
    summary="Correct a post's sentiment or intents",
    response_model=CorrectionRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(browser_csrf)],
)
def api_correct(
    session: SessionDep, user: ApiUser, interaction_id: PathId, data: CorrectionCreate
) -> CorrectionRead:
    """Store who corrected what and apply it; the post's rollup counts move to the new label.

    ``intents`` is the whole set of intents the post shows (``[]`` for none); leave a
    field out to keep the model's value for it.
    """
    stored = correct(
        session,
        interaction_id=interaction_id,
        user_id=user.id,
        sentiment_label=data.sentiment,
        intents=list(data.intents) if data.intents is not None else None,
    )
    session.commit()
    return stored


@router.get(
    "/interactions/{interaction_id}/corrections",
    summary="A post's corrections",
    response_model=list[CorrectionRead],
)
def api_post_corrections(
    session: SessionDep, _: ApiUser, interaction_id: PathId
) -> list[CorrectionRead]:
    """Every correction of one post, newest first, with what the model had said."""
    return list_corrections(session, interaction_id=interaction_id)


@router.get("/corrections", summary="Recent corrections", response_model=list[CorrectionRead])
def api_corrections(
    session: SessionDep,
    _: ApiUser,
    since: Annotated[
        datetime | None, Query(description="ISO 8601; only corrections made at or after it")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CorrectionRead]:
    """Corrections of every post, newest first."""
    return list_corrections(session, since=_utc(since), limit=limit)


@router.get("/model", summary="The sentiment and intent model in use", response_model=ModelRead)
def api_model(_: ApiUser, settings: Annotated[Settings, Depends(get_app_settings)]) -> ModelRead:
    """Mode (lexicon or model), name and version of what enriches new posts."""
    try:
        return model_in_use(settings.sentiment)
    except Exception as exc:  # a missing or broken model file must not look like a crash
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"the {settings.sentiment} sentiment model cannot be loaded: {exc}",
        ) from exc
