"""Channel accounts, encrypted credentials, leases and the runner, on SQLite and PostgreSQL.

The runner reads the X stand-in over real HTTP and the posts go through the real pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from groundswell.channels.base import Reply
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.budget import BudgetState
from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.channels.runtime.schemas import AccountIn, AccountUpdate
from groundswell.channels.runtime.secrets import CredentialsUnreadable, decrypt, encrypt
from groundswell.channels.x.standin import StandInServer, StandInState
from groundswell.core.brokers import Broker, open_broker
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from groundswell.workers.loops import process_loop
from gs_testing import make_settings
from mail_servers import Dovecot, SmtpSink, free_port


@pytest.fixture
def standin() -> Iterator[StandInServer]:
    server = StandInServer(StandInState()).start()
    yield server
    server.stop()


@pytest.fixture
def broker(settings: Settings) -> Iterator[Broker]:
    b = open_broker(settings.broker_url)
    yield b
    b.close()


def connect_x(db: Database, settings: Settings, server: StandInServer, **extra: object) -> None:
    state = server.state
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="x",
                name="Support on X",
                settings={
                    "user_id": state.account_id,
                    "username": state.account_username,
                    "base_url": server.base_url,
                    "access_token": extra.pop("token", state.token),
                    "standin": True,
                },
                **extra,  # type: ignore[arg-type]
            ),
        )


def stored_ids(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(sa.select(Interaction.external_id)))


def drain(settings: Settings, db: Database, broker: Broker) -> None:
    loop, _stage = process_loop(settings, db, broker, consumer="t")
    loop.drain()


def test_credentials_are_encrypted_and_never_shown(db: Database, settings: Settings) -> None:
    token = "secret-bearer-token-123"
    with db.session() as s:
        out = service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="x", name="X", settings={"user_id": "1", "access_token": token}),
        )
    assert out.secrets_set == ["access_token"]
    assert token not in out.model_dump_json()
    with db.session() as s:
        row = s.scalar(sa.select(ChannelAccount))
        assert row is not None and row.credentials and token not in row.credentials
        assert token not in str(row.config)
        assert service.resolved_settings(row, settings)["access_token"] == token
        # an update that leaves the secret out keeps it
        service.update_account(
            s, settings=settings, key="twitter", data=AccountUpdate(settings={"username": "co"})
        )
        assert service.resolved_settings(row, settings)["access_token"] == token


def test_another_secret_cannot_read_the_credentials(settings: Settings) -> None:
    sealed = encrypt(settings, {"password": "p"})
    other = make_settings(settings.database_url, secret_key="another-secret")
    with pytest.raises(CredentialsUnreadable):
        decrypt(other, sealed)
    rotated = make_settings(
        settings.database_url,
        secret_key="another-secret",
        credentials_old_keys=__import__(
            "groundswell.channels.runtime.secrets", fromlist=["derive_key"]
        )
        .derive_key(settings.secret_key.get_secret_value())
        .decode(),
    )
    assert decrypt(rotated, sealed) == {"password": "p"}


def test_bad_settings_name_the_field(db: Database, settings: Settings) -> None:
    with db.session() as s, pytest.raises(service.AccountInvalid) as err:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="email", name="m", settings={"address": "a@b.c", "imap_port": 0}),
        )
    assert err.value.field == "settings.imap_port"


def test_a_lease_keeps_a_second_runner_out(db: Database, settings: Settings) -> None:
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="x", name="X", settings={"user_id": "1", "access_token": "t"}),
        )
        account = s.scalar(sa.select(ChannelAccount))
        assert account is not None
        service.ensure_sources(s, account_id=account.id, wanted={"mentions": "mentions"})
        source_id = s.scalar(sa.select(ChannelSource.id))
        assert source_id is not None
    ttl = timedelta(seconds=30)
    now = utcnow()
    with db.session() as s:
        assert service.claim_lease(s, source_id=source_id, owner="a", ttl=ttl, now=now)
    with db.session() as s:
        assert not service.claim_lease(s, source_id=source_id, owner="b", ttl=ttl, now=now)
        # only the holder moves the cursor
        assert not service.record_fetch(
            s,
            source_id=source_id,
            owner="b",
            cursor="9",
            posts=0,
            newest=None,
            cost=0,
            rate_limits=None,
        )
        assert service.record_fetch(
            s,
            source_id=source_id,
            owner="a",
            cursor="5",
            posts=1,
            newest=None,
            cost=0,
            rate_limits=None,
        )
    with db.session() as s:  # a's lease ran out: b takes over
        later = now + timedelta(seconds=31)
        assert service.claim_lease(s, source_id=source_id, owner="b", ttl=ttl, now=later)
        assert s.scalar(sa.select(ChannelSource.cursor)) == "5"


def test_two_runners_building_one_new_account_both_get_its_sources(
    db: Database, settings: Settings
) -> None:
    """The embedded worker's runner and another process's build a new account at once."""
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="x", name="X", settings={"user_id": "1", "access_token": "t"}),
        )
        account_id = s.scalar(sa.select(ChannelAccount.id))
        assert account_id is not None
    raced: list[str] = []

    def other_runner_first(conn: object, cursor: object, statement: str, *_: object) -> None:
        # The other runner writes its rows after this one has looked and before it writes.
        if statement.startswith("INSERT INTO channel_sources") and not raced:
            raced.append(statement)
            with db.session() as other:
                other.add(ChannelSource(account_id=account_id, name="mentions"))

    sa.event.listen(db.engine, "before_cursor_execute", other_runner_first)
    try:
        with db.session() as s:
            wanted = {"mentions": "mentions", "search": "search"}
            service.ensure_sources(s, account_id=account_id, wanted=wanted)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", other_runner_first)
    assert raced
    with db.session() as s:
        names = s.scalars(sa.select(ChannelSource.name).order_by(ChannelSource.name))
        assert list(names) == ["mentions", "search"]


def test_runner_publishes_mentions_and_resumes_without_duplicates(
    db: Database, settings: Settings, broker: Broker, standin: StandInServer
) -> None:
    state = standin.state
    connect_x(db, settings, standin)
    first = state.mention("501", "ana", "@groundswell_co my bag is lost, awful")
    registry = ConnectorRegistry()
    runner = ConnectorRunner(settings, db, broker, owner="r1", registry=registry)
    runner.refresh(start_threads=False)
    assert runner.cycle("twitter", "mentions").outcome == "published"
    drain(settings, db, broker)
    assert stored_ids(db) == [first["id"]]
    assert runner.cycle("twitter", "mentions").outcome == "idle"

    # replies go out through the registered connector to the stand-in
    result = registry.get("twitter").send_reply(
        Reply(
            channel="twitter",
            text="Sorry Ana!",
            idempotency_key="k",
            in_reply_to_external_id=first["id"],
        )
    )
    assert state.replies_to(first["id"])[0]["id"] == result.external_id

    # a second process after a restart resumes from the saved cursor: nothing twice
    runner.stop()  # releases its leases
    second = state.mention("502", "bo", "@groundswell_co thanks, sorted")
    runner2 = ConnectorRunner(settings, db, broker, owner="r2", registry=ConnectorRegistry())
    runner2.refresh(start_threads=False)
    assert runner2.cycle("twitter", "mentions").posts == 1
    drain(settings, db, broker)
    assert stored_ids(db) == sorted([first["id"], second["id"]])
    with db.session() as s:
        out = service.account_out(s, settings=settings, key="twitter")
    assert out.status == "ok"
    assert out.sources[0].posts_total == 2 and out.sources[0].cursor == second["id"]
    assert "GET /2/users/:id/mentions" in out.rate_limits
    runner2.stop()


def test_a_refused_token_marks_the_channel_needs_reauth(
    db: Database, settings: Settings, broker: Broker, standin: StandInServer
) -> None:
    connect_x(db, settings, standin, token="expired")
    runner = ConnectorRunner(settings, db, broker, owner="r", registry=ConnectorRegistry())
    runner.refresh(start_threads=False)
    assert runner.cycle("twitter", "mentions").outcome == "needs-reauth"
    with db.session() as s:
        assert service.account_out(s, settings=settings, key="twitter").status == "needs_reauth"
    runner.stop()


def test_a_dead_network_backs_off_and_does_not_block_another(
    db: Database, settings: Settings, broker: Broker, standin: StandInServer
) -> None:
    connect_x(db, settings, standin)
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="x",
                key="twitter-dead",
                name="Dead",
                settings={
                    "user_id": "1",
                    "access_token": "t",
                    "base_url": f"http://127.0.0.1:{free_port()}",
                },
            ),
        )
    standin.state.mention("501", "ana", "@groundswell_co hello")
    runner = ConnectorRunner(settings, db, broker, owner="r", registry=ConnectorRegistry())
    runner.refresh(start_threads=False)
    assert runner.cycle("twitter-dead", "mentions").outcome == "error"
    assert runner.cycle("twitter-dead", "mentions").outcome == "waiting"  # backing off
    assert runner.cycle("twitter", "mentions").outcome == "published"
    with db.session() as s:
        dead = service.account_out(s, settings=settings, key="twitter-dead")
    assert dead.status == "error" and dead.sources[0].error_count == 1
    assert dead.sources[0].next_attempt_at is not None
    runner.stop()


def test_the_budget_sheds_search_before_mentions(
    db: Database, settings: Settings, broker: Broker, standin: StandInServer
) -> None:
    connect_x(db, settings, standin, monthly_budget=10.0, cost_per_read=1.0)
    for i in range(9):
        standin.state.mention(str(600 + i), f"u{i}", f"@groundswell_co post {i}")
    runner = ConnectorRunner(settings, db, broker, owner="r", registry=ConnectorRegistry())
    runner.refresh(start_threads=False)
    assert runner.cycle("twitter", "mentions").posts == 9  # 9 of 10 spent: 90 %
    assert runner.cycle("twitter", "mentions").outcome == "shed"
    with db.session() as s:
        out = service.account_out(s, settings=settings, key="twitter")
    assert out.status == "degraded" and out.budget_shed == ["search", "mentions"]
    assert BudgetState(monthly=10.0, used=9.0).allows("replies")
    runner.stop()


def test_runner_reads_a_mailbox_into_threaded_interactions(
    db: Database,
    settings: Settings,
    broker: Broker,
    dovecot: Dovecot,
    smtp_server: tuple[int, SmtpSink],
) -> None:
    from email.message import EmailMessage

    from imapclient import IMAPClient

    from groundswell.crm.models import Identity

    address, password = dovecot.add_user()
    port, sink = smtp_server
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="email",
                name="Support mailbox",
                settings={
                    "address": address,
                    "password": password,
                    "imap_host": "127.0.0.1",
                    "imap_port": dovecot.port,
                    "imap_ssl": False,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_starttls": False,
                    "smtp_login": False,
                },
            ),
        )

    def deliver(raw: bytes) -> None:
        with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
            client.login(address, password)
            client.append("INBOX", raw)

    first = EmailMessage()
    first["From"], first["To"] = "Maria Lopez <maria@example.org>", address
    first["Subject"], first["Message-ID"] = "Order 4411 missing", "<m1@example.org>"
    first["Date"] = "Tue, 10 Sep 2024 10:13:58 +0200"
    first.set_content("My order never arrived.")
    deliver(first.as_bytes())

    registry = ConnectorRegistry()
    runner = ConnectorRunner(settings, db, broker, owner="r", registry=registry)
    runner.refresh(start_threads=False)
    assert runner.cycle("email", "inbox").posts == 1
    sent = registry.get("email").send_reply(
        Reply(
            channel="email",
            text="We are on it.",
            idempotency_key="reply-1",
            visibility="private",
            recipient="maria@example.org",
            in_reply_to_external_id="<m1@example.org>",
            subject="Re: Order 4411 missing",
        )
    )
    assert len(sink.messages) == 1
    answer = EmailMessage()
    answer["From"], answer["To"] = "Maria Lopez <maria@example.org>", address
    answer["Subject"], answer["Message-ID"] = "Re: Order 4411 missing", "<m2@example.org>"
    answer["In-Reply-To"] = sent.external_id
    answer["References"] = f"<m1@example.org> {sent.external_id}"
    answer["Date"] = "Wed, 11 Sep 2024 09:00:00 +0200"
    answer.set_content("Thanks, it arrived!\n\nOn Tue, support wrote:\n> We are on it.")
    deliver(answer.as_bytes())
    assert runner.cycle("email", "inbox").posts == 1
    assert runner.cycle("email", "inbox").outcome == "idle"
    drain(settings, db, broker)
    with db.session() as s:
        rows = {i.external_id: i for i in s.scalars(sa.select(Interaction))}
        assert set(rows) == {"<m1@example.org>", "<m2@example.org>"}
        assert rows["<m2@example.org>"].reply_to_external_id == sent.external_id
        assert rows["<m2@example.org>"].text == "Thanks, it arrived!"
        identity = s.get(Identity, rows["<m1@example.org>"].identity_id)
        assert identity is not None and identity.external_id == "maria@example.org"
    runner.stop()


def test_a_process_without_the_runner_follows_the_accounts(
    db: Database, settings: Settings
) -> None:
    """``serve`` beside separate workers: the composer still finds each channel's connector."""
    from groundswell.channels.registry import UnknownChannel
    from groundswell.channels.runtime.bootstrap import ConfiguredConnectors

    registry = ConnectorRegistry()
    configured = ConfiguredConnectors(db, settings, registry)
    assert configured.refresh() == []
    with db.session() as s:
        out = service.create_account(
            s,
            settings=settings,
            data=AccountIn(kind="x", name="X", settings={"user_id": "1", "access_token": "t"}),
        )
    assert configured.refresh() == [out.key]
    assert registry.capabilities(out.key).max_length == 280
    with db.session() as s:
        row = s.scalar(sa.select(ChannelAccount))
        assert row is not None
        row.enabled = False
    assert configured.refresh() == []
    with pytest.raises(UnknownChannel):
        registry.get(out.key)
