"""A channel whose credentials are refused alerts every active admin once per transition,
from the runner (reading) and from the reply sender (answering)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engagement_world import T0, FileNetwork, add_user, store_post
from groundswell.channels.base import Reply, SendError, SendResult
from groundswell.channels.bluesky.standin import BlueskyStandin
from groundswell.channels.registry import ConnectorRegistry
from groundswell.channels.runtime import service
from groundswell.channels.runtime.models import ChannelAccount, ChannelSource
from groundswell.channels.runtime.schemas import AccountIn, AccountUpdate
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.engagement import cases, replies
from groundswell.notify.models import Delivery
from groundswell.settings import Settings
from groundswell.workers.connectors import ConnectorRunner
from groundswell.workers.reauth_alerts import EVENT
from groundswell.workers.reply_sender import ReplySender


def notices(db: Database) -> list[Delivery]:
    with db.session() as s:
        rows = list(s.scalars(select(Delivery).where(Delivery.event == EVENT)))
        s.expunge_all()
        return rows


def admins(db: Database) -> tuple[int, int]:
    first = add_user(db, "ada@example.com", "admin")
    second = add_user(db, "lin@example.com", "admin")
    add_user(db, "agent@example.com", "agent")
    gone = add_user(db, "old@example.com", "admin")
    with db.session() as s:
        from groundswell.auth.models import User

        user = s.get(User, gone)
        assert user is not None
        user.active = False
    return first, second


def test_runner_alerts_each_admin_once_per_transition(settings: Settings, db: Database) -> None:
    ada, lin = admins(db)
    pds = BlueskyStandin()
    with pds:
        with db.session() as s:
            service.create_account(
                s,
                settings=settings,
                data=AccountIn(
                    kind="bluesky",
                    key="skeets",
                    name="Bluesky care",
                    settings={
                        "base_url": pds.url,
                        "identifier": pds.account_handle,
                        "app_password": "revoked",
                    },
                ),
            )
        runner = ConnectorRunner(
            settings, db, MemoryBroker(), owner="t", registry=ConnectorRegistry()
        )
        runner.refresh(start_threads=False)
        assert runner.cycle("skeets", "notifications").outcome == "needs-reauth"
        sent = notices(db)
        assert sorted(int(n.target) for n in sent) == sorted([ada, lin])
        assert {n.kind for n in sent} == {"in_app"}  # no SMTP configured: no e-mail
        payload = sent[0].payload
        assert payload["title"] == "Channel Bluesky care needs re-authentication"
        assert any("PATCH /api/v1/channels/skeets" in line for line in payload["lines"])
        assert payload["path"] == "/channels"
        # Retries while it stays in needs_reauth alert nobody again.
        with db.session() as s:
            for row in s.scalars(select(ChannelSource)):
                row.next_attempt_at = None
        assert runner.cycle("skeets", "notifications").outcome == "needs-reauth"
        assert len(notices(db)) == 2
        # New settings re-arm the alert; a second refusal is a second transition.
        with db.session() as s:
            service.update_account(
                s,
                settings=settings,
                key="skeets",
                data=AccountUpdate(settings={"app_password": "still-wrong"}),
            )
            account = s.scalar(select(ChannelAccount).where(ChannelAccount.key == "skeets"))
            assert account is not None and account.status == "new"
        runner.refresh(start_threads=False)
        assert runner.cycle("skeets", "notifications").outcome == "needs-reauth"
        runner.stop()
    assert len(notices(db)) == 4


@dataclass
class RevokedNetwork(FileNetwork):
    def send_reply(self, reply: Reply) -> SendResult:
        raise SendError("needs re-auth: 401 invalid token", retryable=False)


def test_reply_refused_for_credentials_alerts_admins_once(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    ada, lin = admins(db)
    with db.session() as s:
        service.create_account(
            s,
            settings=settings,
            data=AccountIn(
                kind="x",
                key="twitter",
                name="X care",
                settings={"user_id": "42", "access_token": "t", "mentions": False},
            ),
        )
    network = RevokedNetwork(tmp_path / "net.jsonl")
    registry = ConnectorRegistry()
    registry.register(network)
    ids = []
    for ext in ("t1", "t2"):
        interaction = store_post(db, ext, f"carla{ext}")
        with db.session() as s:
            row = s.get(Interaction, interaction)
            assert row is not None
            case, _new = cases.open_or_attach(s, interaction=row, channel="twitter", now=T0)
            ids.append(
                replies.queue_reply(
                    s,
                    case_id=case.id,
                    author=replies.Author(ada, "agent"),
                    text="hi",
                    caps=network.caps,
                    now=T0,
                ).id
            )
    report = ReplySender(db, registry, clock=lambda: T0).run_once()
    assert report.failed == 2
    sent = notices(db)
    assert sorted(int(n.target) for n in sent) == sorted([ada, lin])
    assert "needs re-auth: 401 invalid token" in sent[0].payload["lines"]
    with db.session() as s:
        account = s.scalar(select(ChannelAccount).where(ChannelAccount.key == "twitter"))
        assert account is not None and account.status == "needs_reauth"
