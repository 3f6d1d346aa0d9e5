"""``groundswell user …``, ``groundswell token …`` and ``groundswell audit``: operating access.

The same functions as the admin API and page (``auth.admin``), so every action here
is in the audit log too, with ``cli`` as the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from groundswell.settings import Settings, get_settings


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def _session() -> Iterator[tuple[Session, Settings]]:
    """A committed-on-success session; refusals become a clear error and exit code 2."""
    from groundswell.core.db import Database
    from groundswell.core.errors import InvalidInputError, NotFoundError

    try:
        settings = get_settings()
    except Exception as exc:
        raise _fail(f"invalid configuration: {exc}") from exc
    db = Database(settings)
    try:
        with db.session() as session:
            yield session, settings
    except (InvalidInputError, NotFoundError) as exc:
        field = getattr(exc, "field", None)
        raise _fail(f"{field}: {exc}" if field else str(exc)) from exc
    finally:
        db.dispose()


def register(user_app: typer.Typer, token_app: typer.Typer, app: typer.Typer) -> None:
    """Add the commands to the ``user`` and ``token`` groups and ``audit`` to the top."""
    for name, command in _USER_COMMANDS.items():
        user_app.command(name)(command)
    for name, command in _TOKEN_COMMANDS.items():
        token_app.command(name)(command)
    app.command("audit")(audit)


def user_list() -> None:
    """List users with their state, open sessions and live tokens."""
    from groundswell.auth.admin import list_users

    with _session() as (session, _):
        users = list_users(session)
    for u in users:
        state = "active" if u.active else "DEACTIVATED"
        typer.echo(
            f"{u.id:>5}  {u.email:<40} {u.role:<8} {state:<11} "
            f"sessions={u.open_sessions} tokens={u.active_tokens}"
        )


def _set_active(email: str, active: bool) -> None:
    from groundswell.auth.admin import update_user, user_by_email
    from groundswell.auth.audit import CLI_ACTOR
    from groundswell.auth.ops_schemas import UserUpdate

    with _session() as (session, _):
        user = user_by_email(session, email=email)
        update_user(session, user_id=user.id, data=UserUpdate(active=active), actor=CLI_ACTOR)
    typer.echo(f"{'reactivated' if active else 'deactivated'} {user.email}")


def user_deactivate(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Deactivate a user: no login, sessions ended, tokens stop working."""
    _set_active(email, False)


def user_activate(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Let a deactivated user log in again (their old sessions stay ended)."""
    _set_active(email, True)


def user_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    password: Annotated[
        str, typer.Option(prompt="New password", hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Set a user's password (checked for length and strength) and end their sessions."""
    from groundswell.auth.admin import change_password, user_by_email
    from groundswell.auth.audit import CLI_ACTOR
    from groundswell.auth.ops_schemas import PasswordChange
    from groundswell.auth.password_policy import PasswordPolicy

    with _session() as (session, settings):
        user = user_by_email(session, email=email)
        ended = change_password(
            session,
            user_id=user.id,
            data=PasswordChange(new_password=password),
            policy=PasswordPolicy.from_settings(settings),
            actor=CLI_ACTOR,
            require_current=False,
        )
    typer.echo(f"password changed for {user.email}; {ended} session(s) ended")


def user_end_sessions(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Log a user out everywhere."""
    from groundswell.auth.admin import end_sessions, user_by_email
    from groundswell.auth.audit import CLI_ACTOR

    with _session() as (session, _):
        user = user_by_email(session, email=email)
        ended = end_sessions(session, user_id=user.id, actor=CLI_ACTOR)
    typer.echo(f"{ended} session(s) of {user.email} ended")


def token_list(
    email: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
) -> None:
    """List API tokens (never the tokens themselves: only their digest is stored)."""
    from groundswell.auth.admin import list_tokens, user_by_email

    with _session() as (session, _):
        user_id = user_by_email(session, email=email).id if email else None
        tokens = list_tokens(session, user_id=user_id)
    for t in tokens:
        state = "active" if t.active else ("revoked" if t.revoked_at else "expired")
        expires = t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never"
        used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
        typer.echo(
            f"{t.id:>5}  {t.name:<20} {t.user_email:<32} {','.join(t.scopes):<24} "
            f"{state:<8} expires {expires}  last used {used}"
        )


def token_revoke(token_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)]) -> None:
    """Revoke an API token by its id (see ``groundswell token list``)."""
    from groundswell.auth.admin import revoke_token
    from groundswell.auth.audit import CLI_ACTOR

    with _session() as (session, _):
        token = revoke_token(session, token_id=token_id, actor=CLI_ACTOR)
    typer.echo(f"revoked token {token.id} ({token.name}, {token.user_email})")


def audit(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    action: Annotated[str | None, typer.Option(help="e.g. token.revoke")] = None,
) -> None:
    """Show the audit log, newest first."""
    from groundswell.auth.audit import list_audit

    with _session() as (session, _):
        entries = list_audit(session, limit=limit, action=action)
    for e in entries:
        target = f" {e.target}" if e.target else ""
        details = f" {e.details}" if e.details else ""
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<24} {e.action:<18}{target}{details}")


_USER_COMMANDS: dict[str, Callable[..., None]] = {
    "list": user_list,
    "deactivate": user_deactivate,
    "activate": user_activate,
    "password": user_password,
    "end-sessions": user_end_sessions,
}
_TOKEN_COMMANDS: dict[str, Callable[..., None]] = {"list": token_list, "revoke": token_revoke}
