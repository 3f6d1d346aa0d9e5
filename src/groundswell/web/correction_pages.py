"""Correcting a post from the Stream or a contact's timeline, and the model in the footer.

The form sends the post's whole state (one sentiment, every intent ticked). Only the
fields the person changed are recorded as a correction, so changing the sentiment does
not also claim the intents were checked; saving without changing anything records both,
which is a person confirming the model was right, useful to training too.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, status
from starlette.responses import HTMLResponse, RedirectResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.api.routes_corrections import model_in_use
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.correction_schemas import HUMAN_MODEL, INTENT_CHOICES, SENTIMENT_CHOICES
from groundswell.crm.corrections import correct
from groundswell.crm.read import get_interaction
from groundswell.crm.schemas import InteractionRead
from groundswell.enrichment.model.store import ModelStore
from groundswell.web.deps import Csrf, WebUser
from groundswell.web.security import safe_next
from groundswell.web.templating import render, templates

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


def model_label(request: Request) -> str:
    """The footer's "model in use" line; the model is built once per process.

    A model that cannot be loaded is named as such rather than breaking every page.
    """
    mode = request.app.state.settings.sentiment
    if mode == "model":
        try:
            store = ModelStore(request.app.state.settings.model_store_dir)
            return f"{store.card(store.active()).version} ({mode})"
        except Exception:  # fall back to the model this process loaded
            logger.debug("model store unreadable", exc_info=True)
    try:
        info = model_in_use(mode)
    except Exception:
        return f"unavailable ({mode})"
    return f"{info.version} ({info.mode})"


templates.env.globals["model_label"] = model_label
templates.env.globals["sentiment_choices"] = SENTIMENT_CHOICES
templates.env.globals["intent_choices"] = INTENT_CHOICES
templates.env.globals["human_model"] = HUMAN_MODEL


def _changes(
    post: InteractionRead, sentiment: str | None, intents: list[str]
) -> tuple[str | None, list[str] | None]:
    """The fields that differ from what the post shows; both when nothing differs."""
    new_sentiment = sentiment if sentiment != post.sentiment_label else None
    new_intents = intents if set(intents) != set(post.intents) else None
    if new_sentiment is None and new_intents is None:
        return sentiment, intents
    return new_sentiment, new_intents


def _back(request: Request) -> str:
    """Where a browser without JavaScript returns: the page it came from, if local."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/stream"
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(path or "/stream")


@router.post(
    "/interactions/{interaction_id}/correct", response_class=HTMLResponse, dependencies=[Csrf]
)
def correct_post(
    request: Request,
    session: SessionDep,
    user: WebUser,
    interaction_id: PathId,
    sentiment: Annotated[str | None, Form(max_length=32)] = None,
    intents: Annotated[list[str] | None, Form(max_length=32)] = None,
) -> Response:
    """Apply a correction and answer with the post's redrawn labels (HTMX) or a redirect."""
    htmx = request.headers.get("hx-request") == "true"
    try:
        post = get_interaction(session, interaction_id=interaction_id)
    except NotFoundError:
        return Response("no such post", status_code=404, media_type="text/plain")
    new_sentiment, new_intents = _changes(post, sentiment or None, intents or [])
    try:
        correct(
            session,
            interaction_id=interaction_id,
            user_id=user.id,
            sentiment_label=new_sentiment,
            intents=new_intents,
        )
    except InvalidInputError as exc:
        session.rollback()
        if not htmx:
            return Response(str(exc), status_code=422, media_type="text/plain")
        # htmx swaps only successful answers; the error is shown inside the control.
        return render(request, "_post_labels.html", {"post": post, "error": str(exc)}, user=user)
    session.commit()
    if not htmx:
        return RedirectResponse(_back(request), status_code=status.HTTP_303_SEE_OTHER)
    fresh = get_interaction(session, interaction_id=interaction_id)
    return render(request, "_post_labels.html", {"post": fresh, "error": None}, user=user)
