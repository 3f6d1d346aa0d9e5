"""The Jinja2 environment and the one way pages are rendered.

Autoescaping is on for every template; nothing from a post, a profile or a form is ever
marked safe. Every page gets the current user and the session's CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from groundswell.auth.schemas import UserRead
from groundswell.listening.alerts.outbox import metric_value
from groundswell.web.security import csrf_token, safe_url

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


def _sentiment_class(label: str | None) -> str:
    return label if label in ("negative", "neutral", "positive") else "unknown"


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["metric_value"] = lambda value, metric: metric_value(metric, float(value))
    env.filters["score"] = _score
    env.filters["sentiment_class"] = _sentiment_class
    env.filters["safe_url"] = safe_url
    return env


templates = Jinja2Templates(env=_build_env())


def can_edit_subjects(user: UserRead) -> bool:
    """Analysts own the listening setup with admins; agents only read it."""
    return user.role in ("admin", "analyst")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: UserRead | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "user": user,
        "csrf_token": csrf_token(request),
        "can_edit_subjects": bool(user and can_edit_subjects(user)),
        "active": "",
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
