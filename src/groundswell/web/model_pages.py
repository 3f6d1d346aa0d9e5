"""``/models``: the model store for people — every version's figures, the gate, rollback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.audit_trail import audited
from groundswell.api.routes_models import store_of, store_view
from groundswell.auth.schemas import UserRead
from groundswell.core.bounds import MAX_INT64
from groundswell.enrichment.model.store import MAX_VERSIONS, ModelStoreError
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)

SHOWN_METRICS = {
    "macro_recall": "macro-recall {:.1f}",
    "accuracy": "accuracy {:.1f} %",
    "ece": "ECE {:.3f}",
    "intent_micro_f1": "intent micro-F1 {:.1f}",
}
"""How each figure reads, as ``make eval-sentiment`` and the docs print it: shares in
points, calibration error as a fraction."""


def _brief(scores: object) -> str:
    if not isinstance(scores, dict):
        return ""
    parts = [
        shape.format(scores[m] if m == "ece" else 100 * scores[m])
        for m, shape in SHOWN_METRICS.items()
        if isinstance(scores.get(m), int | float)
    ]
    if isinstance(scores.get("n"), int | float):
        parts.append(f"{int(scores['n']):,} posts")
    return ", ".join(parts)


def _set_name(key: str) -> str:
    """``airline_test`` → "airline test", ``semeval_test`` → "SemEval test"."""
    return key.replace("_", " ").replace("semeval", "SemEval")


def figure_rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(set, candidate figures, active model's figures) lines for the table.

    Retrained versions store both sides per set; the shipped model's card holds the
    figures it was shipped with, one level deeper.
    """
    rows: list[tuple[str, str, str]] = []
    for name, pair in figures.items():
        if isinstance(pair, dict) and "candidate" in pair:
            rows.append((_set_name(name), _brief(pair["candidate"]), _brief(pair.get("active"))))
        elif isinstance(pair, dict):
            for inner, scores in pair.items():
                if _brief(scores):
                    rows.append((_set_name(inner), _brief(scores), ""))
    return rows


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, user: WebUser) -> Response:
    view = store_view(store_of(request.app.state.settings))
    return render(
        request,
        "models.html",
        {
            "store": view,
            "rows": {v.number: figure_rows(v.figures) for v in view.versions},
            "is_admin": user.role == "admin",
            "active": "models",
            "mode": request.app.state.settings.sentiment,
        },
        user=user,
    )


def models_admin(user: WebUser) -> UserRead:
    """Only admins switch the model version; refused before the form is read."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins switch the model version")
    return user


@router.post(
    "/models/{number}/activate",
    dependencies=[Csrf, audited("model.activate", "model", "number")],
)
def activate_page(
    request: Request,
    _: Annotated[UserRead, Depends(models_admin)],
    number: Annotated[int, Path(ge=0, le=MAX_INT64)],
    reason: Annotated[str, Form(min_length=1, max_length=200)] = "rollback",
) -> Response:
    if not 1 <= number <= MAX_VERSIONS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model version {number}")
    try:
        store_of(request.app.state.settings).activate(number, reason=f"web: {reason}")
    except ModelStoreError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return RedirectResponse("/models", status_code=status.HTTP_303_SEE_OTHER)
