"""Swagger UI at ``/docs`` from vendored assets, since production hosts may have no network.

FastAPI's page initialises Swagger UI with an inline script; rather than loosening the
site-wide policy, this page's CSP allows exactly that script by its SHA-256 hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from groundswell.web.security import CONTENT_SECURITY_POLICY

VENDOR = "/static/vendor/swagger-ui"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _docs_policy(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")
        # Swagger UI sets element styles from its script.
        .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    )


def install_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/favicon-32x32.png",
            oauth2_redirect_url=None,
        )
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={"content-security-policy": _docs_policy(html)})
