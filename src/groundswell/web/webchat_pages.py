"""The chat widget's files for other sites, and the demo's fake company page.

``/widget/chat.js`` and ``/widget/chat.css`` are served outside ``/static`` on a short
path for the one-line embed, cacheable for five minutes and marked
``Cross-Origin-Resource-Policy: cross-origin`` so any site may load them. ``/demo/site``
is a made-up airline's home page that embeds the widget with the one tag, as a
customer's site would; it is not served in production.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select

from groundswell.api.deps import SessionDep
from groundswell.channels.runtime.models import ChannelAccount
from groundswell.web.templating import STATIC_DIR, render

router = APIRouter(include_in_schema=False)

WIDGET = STATIC_DIR / "widget"
FILE_HEADERS = {
    "cache-control": "public, max-age=300",
    "cross-origin-resource-policy": "cross-origin",
}


@router.get("/widget/chat.js")
def widget_script() -> Response:
    return FileResponse(
        WIDGET / "groundswell-chat.js", media_type="text/javascript", headers=FILE_HEADERS
    )


@router.get("/widget/chat.css")
def widget_style() -> Response:
    return FileResponse(
        WIDGET / "groundswell-chat.css", media_type="text/css", headers=FILE_HEADERS
    )


def embed_tag(public_url: str, public_key: str) -> str:
    """The one line a site adds (shown on the channels page)."""
    base = public_url.rstrip("/")
    return f'<script src="{base}/widget/chat.js" data-channel="{public_key}" defer></script>'


@router.get("/demo/site", response_class=HTMLResponse)
def demo_site(request: Request, session: SessionDep) -> Response:
    if request.app.state.settings.environment == "production":
        raise HTTPException(404, "the demo site is not served in production")
    accounts = session.scalars(
        select(ChannelAccount)
        .where(ChannelAccount.kind == "webchat", ChannelAccount.enabled.is_(True))
        .order_by(ChannelAccount.id)
    )
    key = next((str(a.config.get("public_key")) for a in accounts if a.config), None)
    return render(request, "demo_site.html", {"public_key": key})
