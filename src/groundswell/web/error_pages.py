"""Error answers that fit who asked: JSON under ``/api``, an HTML page everywhere else.

Every error, a 500 included, carries the security headers. A 500 is answered by
Starlette's outermost middleware, outside the one that adds those headers, so the
handler here adds them itself. Numbers the database cannot hold and NUL characters it
refuses are caught as a last line (the edges bound them first) and answered with 422
rather than a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from groundswell.web.security import SECURITY_HEADERS
from groundswell.web.templating import render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    413: "Too large",
    422: "Not a valid request",
    429: "Too many requests",
    500: "Something went wrong",
}
MESSAGES = {
    403: "Your role does not allow this. Ask an admin if you need it.",
    404: "There is nothing at this address.",
    422: "Part of the address or form is not valid.",
    500: "The server failed to answer this request. The error has been logged.",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/static/", "/chat/")) or path == "/openapi.json"


def error_page(request: Request, status_code: int, message: str | None = None) -> HTMLResponse:
    title = TITLES.get(status_code, "Error")
    text = message or MESSAGES.get(status_code, title)
    try:
        return render(
            request,
            "error.html",
            {"title": title, "message": text},
            status_code=status_code,
        )
    except Exception:  # the page itself failed: a plain answer still beats none
        log.exception("error page failed to render")
        return HTMLResponse(f"<!doctype html><title>{status_code}</title>", status_code)


def _with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install_error_pages(app: FastAPI) -> None:
    """Register the handlers; call after the API's JSON handlers so it can defer to them."""
    api_validation: Handler | None = app.exception_handlers.get(RequestValidationError)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)
        page = error_page(request, exc.status_code)
        page.headers.update(headers)
        return page

    async def validation_error(request: Request, exc: Exception) -> Response:
        if wants_json(request) and api_validation is not None:
            answer = api_validation(request, exc)
            return answer if isinstance(answer, Response) else await answer
        if wants_json(request):
            return JSONResponse({"detail": "invalid request"}, 422)
        return error_page(request, 422)

    async def unstorable(request: Request, exc: Exception) -> Response:
        log.warning("refused a value the database cannot store: %s", type(exc).__name__)
        detail = "a value is out of range or holds characters that cannot be stored"
        if wants_json(request):
            return JSONResponse({"detail": detail, "errors": []}, 422)
        return error_page(request, 422, detail)

    async def client_gone(request: Request, exc: Exception) -> Response:
        """The client hung up while its body was read: nobody is left to answer, and it
        is the network's doing, not ours (never logged as an error, never a 500)."""
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if wants_json(request):
            return _with_headers(JSONResponse({"detail": "internal server error"}, 500))
        return _with_headers(error_page(request, 500))

    async def favicon() -> Response:
        """Browsers ask for ``/favicon.ico`` on pages without a link (JSON, the API docs)."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OverflowError, unstorable)
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(DataError, unstorable)
    app.add_exception_handler(Exception, server_error)
