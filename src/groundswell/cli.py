"""The ``groundswell`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from groundswell.settings import Settings, get_settings

app = typer.Typer(
    help="Groundswell: an open-source Social CRM.", no_args_is_help=True, add_completion=False
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


def _add_command_groups() -> None:
    """Command groups live in ``groundswell.commands``, one module per area."""
    from groundswell.commands import listening, model, rescore

    app.add_typer(model.app, name="model")
    app.add_typer(listening.app, name="listening")
    app.add_typer(rescore.app, name="rescore")
    from groundswell.commands import engagement

    app.add_typer(engagement.app, name="engagement")

    from groundswell.commands import channels

    app.add_typer(channels.app, name="channels")
    app.add_typer(channels.connectors_app, name="connectors")
    from groundswell.commands import clv

    app.add_typer(clv.app, name="clv")
    from groundswell.commands import identity

    app.add_typer(identity.app, name="identity")
    from groundswell.commands import privacy

    app.add_typer(privacy.app, name="privacy")
    from groundswell.commands import crm_sync

    app.add_typer(crm_sync.app, name="crm-sync")

    from groundswell.commands import analytics

    app.add_typer(analytics.app, name="analytics")


_add_command_groups()


def _install_hooks() -> None:
    """Every command that changes cases keeps the engagement rollup current."""
    from groundswell.analytics.engagement.hooks import install

    install()


_install_hooks()


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:
        raise _fail(f"invalid configuration: {exc}") from exc


def _require_secure_keys(settings: Settings) -> None:
    """Stop with the reason when production would sign with a public or short key."""
    from groundswell.core.instance_keys import InsecureConfigurationError, resolve_keys

    try:
        resolve_keys(settings)
    except InsecureConfigurationError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest version."""
    from groundswell.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help="File to import.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="native (JSONL), airline (CSV) or twcs (CSV).")
    ] = "native",
    wait: Annotated[
        bool, typer.Option(help="With Redis, wait until workers have stored everything.")
    ] = True,
    limit: Annotated[int | None, typer.Option(min=1, help="Import at most this many.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Import posts from a file; invalid records are kept with their reason (see `rejects`)."""
    from groundswell.ingestion.formats import FORMATS, UnreadableFileError
    from groundswell.workers.importer import import_file

    if fmt not in FORMATS:
        raise _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    settings = _settings()
    try:
        report = import_file(
            settings,
            file,
            fmt,
            wait=wait,
            limit=limit,
            progress=progress and sys.stderr.isatty(),
            say=lambda message: typer.echo(message, err=True),
        )
    except UnreadableFileError as exc:
        raise _fail(f"{file}: {exc}") from exc
    outcome = (
        f"{report.stored} newly stored, {report.duplicates} already known"
        if report.stored is not None
        else "handed to the workers"
    )
    typer.echo(
        f"{report.read} records read: {report.submitted} accepted, {report.rejected} rejected, "
        f"{outcome} ({report.seconds:.1f} s, {report.rate:.0f} records/s)"
    )
    if report.rejected:
        typer.echo(
            f"see the rejected records with: groundswell rejects --source import:{file.name}"
        )


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="File to replay.")],
    fmt: Annotated[str, typer.Option("--format", "-f")] = "native",
    speed: Annotated[float, typer.Option(min=0.001, help="Times real time.")] = 60.0,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    fresh_ids: Annotated[
        bool, typer.Option(help="Suffix ids so a replay is never deduped.")
    ] = True,
) -> None:
    """Stream a file's posts into the pipeline at N times real time, dated now."""
    from groundswell.ingestion.formats import FORMATS, UnreadableFileError
    from groundswell.workers.replayer import run_replay

    if fmt not in FORMATS:
        raise _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        run_replay(_settings(), file, fmt, speed=speed, limit=limit, fresh_ids=fresh_ids)
    except UnreadableFileError as exc:
        raise _fail(f"{file}: {exc}") from exc


@app.command()
def rejects(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    source: Annotated[str | None, typer.Option(help="Only sources starting with this.")] = None,
) -> None:
    """Show the most recent rejected records and why they were refused."""
    from groundswell.core.db import Database
    from groundswell.ingestion.service import count_rejections, list_rejections

    db = Database(_settings())
    with db.session() as session:
        rows = list_rejections(session, limit=limit, source=source)
        total = count_rejections(session)
        for r in rows:
            field = f" [{r.field}]" if r.field else ""
            typer.echo(
                f"{r.created_at:%Y-%m-%d %H:%M:%S} {r.source} {r.record_ref}{field}: {r.reason}"
            )
    typer.echo(f"{len(rows)} shown of {total} rejected records")
    db.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    demo: Annotated[bool, typer.Option(help="Load the demo sample and replay posts.")] = False,
    speed: Annotated[float, typer.Option(min=0.001, help="Demo replay speed.")] = 60.0,
) -> None:
    """Start the web app (and, with the in-process broker, its worker)."""
    import uvicorn

    from groundswell.app import create_app
    from groundswell.core.serving import with_serving_url

    settings = with_serving_url(_settings(), host, port)
    _require_secure_keys(settings)
    if demo and "GROUNDSWELL_CASE_HORIZON_MINUTES" not in os.environ:
        from groundswell.demo.engagement_setup import DEMO_CASE_HORIZON_MINUTES

        settings = settings.model_copy(update={"case_horizon_minutes": DEMO_CASE_HORIZON_MINUTES})
    application = create_app(settings, demo_speed=speed if demo else None, freeze_heap=True)
    typer.echo(f"Groundswell is running at http://{host}:{port}/")
    if demo:
        from groundswell.demo.setup import DEMO_EMAIL, DEMO_PASSWORD

        typer.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (replaying posts at {speed:g}x)")
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        # X-Forwarded-For is believed only from the configured proxies (none by default).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )


@app.command("demo-setup")
def demo_setup(
    speed: Annotated[
        float, typer.Option(min=0.001, help="The replay speed the history is paced for.")
    ] = 60.0,
    load_history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Load the history now; without it `serve --demo` loads it behind.",
        ),
    ] = True,
) -> None:
    """Create the demo login and subjects, and load the demo history if the store is empty."""
    from groundswell.core.db import Database
    from groundswell.demo import setup

    settings = _settings()
    db = Database(settings)
    try:
        if setup.ensure_demo_user(db):
            typer.echo(f"created demo login {setup.DEMO_EMAIL}")
        if created := setup.ensure_demo_subjects(db):
            typer.echo(f"created {created} demo subjects")
        history = setup.split_sample(speed).history if load_history else []
        if load_history and not setup.has_history(db, history):
            typer.echo(
                f"loading {len(history)} demo posts through the pipeline "
                "(once; a minute or two with the sentiment model)"
            )
            stored = setup.load_history(settings, db, history, progress=sys.stderr.isatty())
            typer.echo(f"loaded {stored} demo posts")
        from groundswell.demo.engagement_setup import ensure_engagement

        for line in ensure_engagement(db, password=setup.DEMO_PASSWORD):
            typer.echo(f"engagement: {line}")
        from groundswell.demo.digest_setup import ensure_digest_subscription

        if ensure_digest_subscription(db, email=setup.DEMO_EMAIL):
            typer.echo(f"digest: {setup.DEMO_EMAIL} gets the daily digest of United at 07:00 UTC")
        from groundswell.demo.crm_setup import ensure_crm_demo

        if crm := ensure_crm_demo(settings, db, load=setup.load_history):
            typer.echo(
                "customer record demo: {posts} cross-channel posts, {merged} contacts merged "
                "automatically, {candidates} candidate pairs, {purchases} purchases of "
                "{buyers} buyers".format(**crm)
            )
        from groundswell.demo.crm_setup import ensure_segments_and_leads

        growth = ensure_segments_and_leads(settings, db, load=setup.load_history)
        if growth["segments"] or growth["leads"]:
            typer.echo(
                "customer record demo: {segments} segments saved, {leads} leads from "
                "purchase-intent posts".format(**growth)
            )
    finally:
        db.dispose()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run pipeline workers as separate processes (production: Redis broker)."""
    from groundswell.workers.process_main import run_worker_process
    from groundswell.workers.supervisor import run_processes

    settings = _settings()
    _require_secure_keys(settings)
    if settings.embedded_broker:
        raise _fail(
            "the in-process broker (memory://) cannot be shared with separate worker processes; "
            "set GROUNDSWELL_BROKER_URL=redis://… or use `groundswell serve`"
        )
    raise typer.Exit(run_processes(run_worker_process, concurrency=concurrency, name="worker"))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    role: Annotated[str, typer.Option(help="admin, agent or analyst")] = "agent",
    name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user who can log in to the web app."""
    from pydantic import ValidationError

    from groundswell.auth.admin import add_user
    from groundswell.auth.audit import CLI_ACTOR
    from groundswell.auth.ops_schemas import UserAdminCreate
    from groundswell.auth.password_policy import PasswordPolicy
    from groundswell.core.db import Database
    from groundswell.core.errors import InvalidInputError

    try:
        data = UserAdminCreate(email=email, password=password, role=role, name=name)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
    settings = _settings()
    db = Database(settings)
    try:
        with db.session() as session:
            user = add_user(
                session, data=data, policy=PasswordPolicy.from_settings(settings), actor=CLI_ACTOR
            )
    except InvalidInputError as exc:
        raise _fail(f"{exc.field}: {exc}" if exc.field else str(exc)) from exc
    finally:
        db.dispose()
    typer.echo(f"created {user.role} {user.email} (id {user.id})")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "api",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="read, ingest, engage, admin; repeat. Default: all the role allows."),
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Lifetime in days; default the longest allowed.")
    ] = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from pydantic import ValidationError

    from groundswell.auth.admin import create_token, user_by_email
    from groundswell.auth.audit import CLI_ACTOR
    from groundswell.auth.ops_schemas import TokenCreate
    from groundswell.core.db import Database
    from groundswell.core.errors import InvalidInputError, NotFoundError

    settings = _settings()
    db = Database(settings)
    try:
        with db.session() as session:
            user = user_by_email(session, email=email)
            scopes = scope or ["read", "ingest", "engage"] + (
                ["admin"] if user.role == "admin" else []
            )
            data = TokenCreate(
                name=name,
                user_id=user.id,
                scopes=scopes,
                expires_in_days=days or settings.api_token_max_days,
            )
            created = create_token(
                session, data=data, actor=CLI_ACTOR, max_days=settings.api_token_max_days
            )
    except NotFoundError as exc:
        raise _fail(f"no user with email {email!r}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
    except InvalidInputError as exc:
        raise _fail(f"{exc.field}: {exc}" if exc.field else str(exc)) from exc
    finally:
        db.dispose()
    typer.echo(created.token)


def _add_access_commands() -> None:
    """``user list|deactivate|activate|password|end-sessions``, ``token list|revoke``, ``audit``."""
    from groundswell.commands import access

    access.register(user_app, token_app, app)


_add_access_commands()
