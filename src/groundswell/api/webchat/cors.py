"""Which page origins may call a chat channel's endpoints (CORS, answered by hand).

The allowed origins are per channel (its settings), so a generic CORS middleware with one
list does not fit: the channel is in the path, and the preflight is answered for that
channel alone. The app's own origin (``public_url``, or the address the request came to)
is always allowed, so the demo page works without configuration. No credentials are
ever allowed: the widget authenticates with its token header, never a cookie.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

ALLOW_HEADERS = "authorization, content-type"
ALLOW_METHODS = "GET, POST, OPTIONS"
MAX_AGE = "600"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def own_origins(request: Request) -> set[str]:
    found = {_origin(str(request.base_url)), _origin(request.app.state.settings.public_url)}
    return {o for o in found if o}


def origin_allowed(request: Request, allowed: list[str]) -> bool:
    """True without an Origin header (not a cross-origin browser call) or when listed."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    normal = _origin(origin.strip()[:300])
    return normal is not None and (normal in allowed or normal in own_origins(request))


def cors_headers(request: Request, *, preflight: bool = False) -> dict[str, str]:
    """Headers for an allowed origin (call only after ``origin_allowed``)."""
    origin = request.headers.get("origin")
    headers = {"vary": "Origin"}
    if origin:
        headers["access-control-allow-origin"] = origin.strip()
        if preflight:
            headers["access-control-allow-methods"] = ALLOW_METHODS
            headers["access-control-allow-headers"] = ALLOW_HEADERS
            headers["access-control-max-age"] = MAX_AGE
    return headers
