"""``groundswell channels …`` and ``groundswell connectors run``."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime
from typing import Annotated

import typer

from groundswell.core.clock import to_utc
from groundswell.settings import Settings, get_settings

app = typer.Typer(help="Connected channels: list, test, backfill, connect.", no_args_is_help=True)
connectors_app = typer.Typer(help="Run the channel connectors.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:
        raise _fail(f"invalid configuration: {exc}") from exc


@app.command("list")
def list_() -> None:
    """Every connected channel with its status, sources, lag and errors."""
    from groundswell.channels.runtime.service import list_accounts
    from groundswell.core.db import Database

    settings = _settings()
    db = Database(settings)
    try:
        with db.session() as session:
            accounts = list_accounts(session, settings=settings)
        if not accounts:
            typer.echo("no channels connected (groundswell channels connect …)")
        for a in accounts:
            flags = " [stand-in]" if a.standin else ""
            typer.echo(f"{a.key:<20} {a.kind:<6} {a.status:<13} {a.name}{flags}")
            if a.status_detail:
                typer.echo(f"{'':<20} {a.status_detail}")
            for s in a.sources:
                lag = f"{s.lag_seconds:.0f}s" if s.lag_seconds is not None else "-"
                err = f"  last error: {s.last_error}" if s.error_count else ""
                typer.echo(
                    f"{'':<20} └ {s.name:<10} posts={s.posts_total} lag={lag} "
                    f"cursor={s.cursor or '-'}{err}"
                )
    finally:
        db.dispose()


@app.command("connect")
def connect(
    kind: Annotated[str, typer.Argument(help="email or x")],
    name: Annotated[str, typer.Option(help="A name people recognise.")],
    settings_json: Annotated[
        str, typer.Option("--settings", help="JSON object of the kind's settings (secrets too).")
    ],
    key: Annotated[str | None, typer.Option(help="Channel key (default: the kind's).")] = None,
) -> None:
    """Connect a channel; secrets in the settings are stored encrypted."""
    from groundswell.channels.runtime.schemas import AccountIn
    from groundswell.channels.runtime.service import AccountInvalid, create_account
    from groundswell.core.db import Database

    try:
        values = json.loads(settings_json)
    except json.JSONDecodeError as exc:
        raise _fail(f"--settings is not JSON: {exc}") from exc
    settings = _settings()
    db = Database(settings)
    try:
        with db.session() as session:
            out = create_account(
                session,
                settings=settings,
                data=AccountIn(kind=kind, key=key, name=name, settings=values),
            )
        typer.echo(
            f"connected {out.key} ({out.kind}); secrets stored: {', '.join(out.secrets_set)}"
        )
    except AccountInvalid as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()


@app.command("test")
def test(key: Annotated[str, typer.Argument(help="Channel key.")]) -> None:
    """Log in to the network with the stored settings."""
    from groundswell.channels.runtime.service import AccountNotFound
    from groundswell.core.db import Database
    from groundswell.workers.connectors import test_connection

    settings = _settings()
    db = Database(settings)
    try:
        ok, detail = test_connection(settings, db, key)
    except AccountNotFound as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    typer.echo(("ok: " if ok else "failed: ") + detail)
    if not ok:
        raise typer.Exit(1)


@app.command("backfill")
def backfill_(
    key: Annotated[str, typer.Argument(help="Channel key.")],
    since: Annotated[str, typer.Option(help="ISO date or time, e.g. 2024-05-01.")],
    source: Annotated[str, typer.Option(help="Which source (mentions, inbox…).")] = "",
) -> None:
    """Re-read a period from the network; what is already stored is not stored twice."""
    from groundswell.channels.runtime.service import AccountNotFound
    from groundswell.core.brokers import open_broker
    from groundswell.core.db import Database
    from groundswell.workers.connectors import backfill
    from groundswell.workers.loops import consumer_name, process_loop

    try:
        when = to_utc(datetime.fromisoformat(since))
    except ValueError as exc:
        raise _fail(f"--since {since!r} is not an ISO date") from exc
    settings = _settings()
    db = Database(settings)
    broker = open_broker(settings.broker_url)
    try:
        name = source or ("inbox" if key.startswith("email") else "mentions")
        posts, rejected = backfill(settings, db, broker, key=key, source_name=name, since=when)
        if settings.embedded_broker:
            loop, _stage = process_loop(settings, db, broker, consumer=consumer_name())
            loop.drain()
            _stage.close()
        typer.echo(f"{posts} posts published, {rejected} rejected")
    except (AccountNotFound, LookupError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        broker.close()
        db.dispose()


@app.command("pause")
def pause(key: Annotated[str, typer.Argument()]) -> None:
    """Stop reading a channel (replies through it still go out)."""
    _set_enabled(key, False)


@app.command("resume")
def resume(key: Annotated[str, typer.Argument()]) -> None:
    """Read a paused channel again."""
    _set_enabled(key, True)


def _set_enabled(key: str, enabled: bool) -> None:
    from groundswell.channels.runtime.service import AccountNotFound, set_enabled
    from groundswell.core.db import Database

    settings = _settings()
    db = Database(settings)
    try:
        with db.session() as session:
            out = set_enabled(session, settings=settings, key=key, enabled=enabled)
        typer.echo(f"{out.key}: {out.status}")
    except AccountNotFound as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()


@connectors_app.command("run")
def run() -> None:
    """Read every enabled channel until stopped; several processes share by lease."""
    from groundswell.core.brokers import open_broker
    from groundswell.core.db import Database
    from groundswell.workers.connectors import ConnectorRunner
    from groundswell.workers.loops import consumer_name, process_loop

    settings = _settings()
    db = Database(settings)
    broker = open_broker(settings.broker_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner = ConnectorRunner(settings, db, broker)
    workers: list[threading.Thread] = []
    if settings.embedded_broker:  # nobody else can read an in-process queue: store here too
        loop, _stage = process_loop(settings, db, broker, consumer=consumer_name())
        workers.append(threading.Thread(target=loop.run, args=(stop,), daemon=True))
        workers[-1].start()
    typer.echo(f"connector runner {runner.owner} started")
    try:
        runner.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        runner.stop()
        for t in workers:
            t.join(10)
        broker.close()
        db.dispose()
