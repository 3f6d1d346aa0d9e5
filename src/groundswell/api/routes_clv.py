"""``/api/v1`` routes for purchases and customer lifetime value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, status
from pydantic import ValidationError

from groundswell.api.deps import (
    CSRF_CHECKED,
    ApiUser,
    SessionDep,
    get_app_settings,
    require_manager,
)
from groundswell.api.params import PathId
from groundswell.auth.schemas import UserRead
from groundswell.core.errors import NotFoundError
from groundswell.crm.clv.schemas import (
    ClvRunRead,
    CustomerValueRead,
    TransactionImportReport,
    TransactionIn,
)
from groundswell.crm.clv.service import customer_value, import_transactions, latest_run, refit
from groundswell.settings import Settings

router = APIRouter(tags=["customer value"])

Manager = Annotated[UserRead, require_manager("refit customer value")]
MAX_BATCH = 10_000


@router.post(
    "/transactions",
    summary="Import purchases",
    response_model=TransactionImportReport,
    dependencies=CSRF_CHECKED,
)
def api_import_transactions(
    session: SessionDep,
    _: ApiUser,
    body: Annotated[
        list[dict[str, Any]],
        Body(
            max_length=MAX_BATCH,
            description="Purchases: customer_key, date (YYYY-MM-DD), amount, external_id.",
        ),
    ],
) -> TransactionImportReport:
    """Each purchase is checked alone: a negative or non-numeric amount, an impossible
    date or a customer key no contact carries is refused by item and field (and kept in
    the rejected records); the rest are stored. Re-sending an ``external_id`` adds nothing.
    """
    items: list[tuple[str, TransactionIn]] = []
    refused: list[tuple[str, str | None, str, str | None]] = []
    for index, raw in enumerate(body):
        ref = f"item {index}"
        try:
            items.append((ref, TransactionIn.model_validate(raw)))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            refused.append((ref, field, err["msg"], str(raw)[:2000]))
    report = import_transactions(
        session, source="api", items=items, refused=refused, read=len(body)
    )
    session.commit()
    return report


@router.post(
    "/clv/refit",
    summary="Refit customer value now",
    response_model=ClvRunRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=CSRF_CHECKED,
)
def api_refit(
    session: SessionDep,
    user: Manager,
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> ClvRunRead:
    """Fit BG/NBD and Gamma-Gamma on every purchase and store each buyer's value."""
    run = refit(
        session,
        horizon_weeks=settings.clv_horizon_weeks,
        annual_discount_rate=settings.clv_annual_discount_rate,
        triggered_by=f"user:{user.email}",
    )
    session.commit()
    return run


@router.get("/clv/latest", summary="The latest fit", response_model=ClvRunRead | None)
def api_latest_run(session: SessionDep, _: ApiUser) -> ClvRunRead | None:
    return latest_run(session)


@router.get(
    "/contacts/{contact_id}/value",
    summary="A contact's value",
    response_model=CustomerValueRead,
)
def api_contact_value(session: SessionDep, _: ApiUser, contact_id: PathId) -> CustomerValueRead:
    """CLV, p(alive), expected purchases over the horizon; 404 when they never bought."""
    value = customer_value(session, contact_id=contact_id)
    if value is None:
        raise NotFoundError("customer value of contact", contact_id)
    return value
