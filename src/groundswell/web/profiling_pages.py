"""Progressive profiling: the agent's button that makes a link, and the public form.

The form needs no login: the signed, expiring token in the path is the credential (as
for ``/csat``). Answers are rate-limited per client address, so the form cannot be used
to probe which emails or order numbers we know.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import HTMLResponse, Response

from groundswell.api.client_address import client_address
from groundswell.api.deps import SessionDep
from groundswell.api.params import PathId
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm import profiling
from groundswell.crm.models import Identity
from groundswell.web.deps import Csrf
from groundswell.web.engagement.common import WebWorker
from groundswell.web.login_limits import storage_url
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)
ANSWERS_PER_MINUTE = 10


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def _max_age(request: Request) -> int:
    return int(request.app.state.settings.profiling_link_days) * 86400


def _limiter(request: Request) -> tuple[MovingWindowRateLimiter, RateLimitItemPerMinute]:
    state = request.app.state
    if not hasattr(state, "profiling_limiter"):
        storage = storage_from_string(storage_url(state.settings))
        state.profiling_limiter = (
            MovingWindowRateLimiter(storage),
            RateLimitItemPerMinute(ANSWERS_PER_MINUTE, namespace="gs-profiling"),
        )
    found: tuple[MovingWindowRateLimiter, RateLimitItemPerMinute] = state.profiling_limiter
    return found


@router.post("/contacts/{contact_id}/identities/{identity_id}/profiling-link", dependencies=[Csrf])
def profiling_link(
    request: Request, session: SessionDep, user: WebWorker, contact_id: PathId, identity_id: PathId
) -> Response:
    """A page with the link text to paste into a reply on any channel."""
    identity = session.get(Identity, identity_id)
    if identity is None or identity.contact_id != contact_id:
        return render(
            request,
            "error.html",
            {"active": "contacts", "title": "Not found", "message": "No such identity here."},
            user=user,
            status_code=404,
        )
    try:
        token = profiling.make_token(session, identity_id=identity_id, secret=_secret(request))
    except InvalidInputError as exc:
        return render(
            request,
            "error.html",
            {"active": "contacts", "title": "No link", "message": str(exc)},
            user=user,
            status_code=422,
        )
    settings = request.app.state.settings
    return render(
        request,
        "profiling_link.html",
        {
            "active": "contacts",
            "contact_id": contact_id,
            "identity": identity,
            "text": profiling.link_text(settings.public_url, token),
            "days": settings.profiling_link_days,
        },
        user=user,
    )


def _refused(request: Request, exc: profiling.ProfilingRefused) -> Response:
    return render(
        request,
        "profiling.html",
        {"error": exc.reason, "done": None, "token": "", "form": {}},
        status_code=exc.status,
    )


@router.get("/p/{token}", response_class=HTMLResponse)
def profiling_form(request: Request, session: SessionDep, token: str) -> Response:
    try:
        target = profiling.target_of(
            session, token=token, secret=_secret(request), max_age_s=_max_age(request)
        )
    except profiling.ProfilingRefused as exc:
        return _refused(request, exc)
    return render(
        request,
        "profiling.html",
        {"error": None, "done": None, "token": token, "form": {}, "who": target.handle},
    )


@router.post("/p/{token}", response_class=HTMLResponse)
def profiling_answer(
    request: Request,
    session: SessionDep,
    token: str,
    email: Annotated[str, Form(max_length=320)] = "",
    order: Annotated[str, Form(max_length=100)] = "",
    service: Annotated[str, Form(max_length=5)] = "",
    marketing: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Public; the signed token is the credential, so no CSRF session."""
    limiter, item = _limiter(request)
    address = client_address(request)[:64]
    if not limiter.hit(item, "address", address):
        return render(
            request,
            "profiling.html",
            {
                "error": "Too many tries; please wait a minute.",
                "done": None,
                "token": "",
                "form": {},
            },
            status_code=429,
            headers={"Retry-After": "60"},
        )
    try:
        target = profiling.target_of(
            session, token=token, secret=_secret(request), max_age_s=_max_age(request)
        )
    except profiling.ProfilingRefused as exc:
        return _refused(request, exc)
    form = {
        "email": email[:320],
        "order": order[:100],
        "service": bool(service),
        "marketing": bool(marketing),
    }
    try:
        profiling.submit(
            session,
            target=target,
            email=email,
            order=order,
            service=bool(service),
            marketing=bool(marketing),
        )
    except InvalidInputError as exc:
        session.rollback()
        return render(
            request,
            "profiling.html",
            {
                "error": None,
                "invalid": str(exc),
                "field": exc.field,
                "done": None,
                "token": token,
                "form": form,
            },
            status_code=422,
        )
    except profiling.ProfilingRefused as exc:
        session.rollback()
        return _refused(request, exc)
    except NotFoundError:
        session.rollback()
        return _refused(request, profiling.ProfilingRefused("not valid", status=404))
    session.commit()
    return render(request, "profiling.html", {"error": None, "done": True, "token": "", "form": {}})
