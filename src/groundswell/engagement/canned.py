"""Rendering canned responses: ``{{contact.first_name}}`` and friends, safely.

Jinja's sandbox refuses attribute tricks (``__class__``…), ``StrictUndefined`` turns an
unknown variable into a clear error naming it (before anything is queued), and the
variables are plain dicts of strings, so a customer's hostile name renders as text.
Replies are plain text on every network; the web page escapes them when it shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
MAX_TEMPLATE = 5000


class CannedError(ValueError):
    """The template is broken or names a variable that does not exist."""


def render_canned(body: str, variables: Mapping[str, Any]) -> str:
    if len(body) > MAX_TEMPLATE:
        raise CannedError(f"template longer than {MAX_TEMPLATE} characters")
    try:
        return _env.from_string(body).render(**variables).strip()
    except UndefinedError as exc:
        raise CannedError(f"unknown variable: {exc.message}") from None
    except TemplateError as exc:
        raise CannedError(f"template error: {exc}") from None


def check_template(body: str) -> None:
    """Syntax check when a canned response is saved (variables are checked at use)."""
    try:
        _env.parse(body)
    except TemplateError as exc:
        raise CannedError(f"template error: {exc}") from None


def variables_for(
    *, contact_name: str | None, handle: str | None, agent_name: str | None, case_id: int
) -> dict[str, Any]:
    full = (contact_name or handle or "").strip()
    first = full.split()[0] if full else "there"
    return {
        "contact": {"first_name": first, "name": full or first, "handle": handle or ""},
        "agent": {"name": agent_name or "the team"},
        "case": {"id": case_id},
    }
