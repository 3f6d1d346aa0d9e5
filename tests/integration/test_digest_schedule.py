"""Scheduled digests: due once per period per subscription, even with two workers or a
restart, and the e-mail arrives at a real SMTP server (aiosmtpd) with its charts inline."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from email.policy import default

import pytest
from sqlalchemy import func, select

from digest_world import NOW, START, XSS, build
from groundswell.analytics.digest.models import DigestSend, DigestSubscription
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.notify.dispatcher import Dispatcher
from groundswell.notify.models import Delivery
from groundswell.notify.senders import DeliveryConfig
from groundswell.settings import Settings
from groundswell.workers.digest_loop import DigestLoop
from mail_servers import SmtpSink, free_port


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


def _subscribe(db: Database, subject_id: int, **extra: object) -> int:
    with db.session() as s:
        row = DigestSubscription(
            email="ceo@example.com",
            subject_id=subject_id,
            period=extra.get("period", "day"),
            send_hour=extra.get("send_hour", 7),
            timezone=extra.get("timezone", "Europe/Paris"),
            active=True,
            created_at=START - timedelta(days=1),
        )
        s.add(row)
        s.flush()
        return row.id


def _sends(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(DigestSend)) or 0)


def test_queued_once_per_period_across_workers_and_restarts(
    db: Database, settings: Settings
) -> None:
    ids = build(db)
    _subscribe(db, ids["brand"])
    early = DigestLoop(settings, db, clock=lambda: NOW.replace(hour=5))  # 06:00 in Paris
    assert early.tick() == 1  # Sunday's digest: due since Monday 07:00, not sent yet
    one, two = (
        DigestLoop(settings, db, clock=lambda: NOW),
        DigestLoop(settings, db, clock=lambda: NOW),
    )
    assert one.tick() == 1  # Monday's, due from Tuesday 07:00 Paris (06:00 UTC)
    assert two.tick() == 0 and one.tick() == 0
    restarted = DigestLoop(settings, db, clock=lambda: NOW + timedelta(hours=3))
    assert restarted.tick() == 0
    assert _sends(db) == 2
    with db.session() as s:
        starts = sorted(s.scalars(select(DigestSend.period_start)).all())
    assert starts[-1] == START - timedelta(hours=1)  # Monday 00:00 in Paris


def test_a_new_subscriber_does_not_get_past_periods(db: Database, settings: Settings) -> None:
    ids = build(db)
    sid = _subscribe(db, ids["brand"])
    with db.session() as s:
        s.get(DigestSubscription, sid).created_at = NOW  # type: ignore[union-attr]
    assert DigestLoop(settings, db, clock=lambda: NOW).tick() == 0
    assert DigestLoop(settings, db, clock=lambda: NOW + timedelta(days=1)).tick() == 1


def _parts(message: Message) -> tuple[str, dict[str, bytes]]:
    html, images = "", {}
    for part in message.walk():
        if part.get_content_type() == "text/html":
            html = part.get_content()  # type: ignore[attr-defined]
        elif part.get_content_maintype() == "image":
            cid = str(part["Content-ID"]).strip("<>")
            images[cid] = part.get_payload(decode=True)  # type: ignore[assignment]
    return html, images


def test_the_digest_arrives_by_smtp_with_inline_charts(
    db: Database, settings: Settings, smtp_server: tuple[int, SmtpSink]
) -> None:
    port, sink = smtp_server
    ids = build(db)
    _subscribe(db, ids["brand"], send_hour=8, timezone="UTC")
    assert DigestLoop(settings, db, clock=lambda: NOW).tick() == 1
    config = DeliveryConfig(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="digest@example.com",
        smtp_username=None,
        smtp_password=None,
        smtp_starttls=False,
        webhook_secret=b"x" * 32,
        outbound=OutboundPolicy.from_setting("127.0.0.1"),
    )
    dispatcher = Dispatcher(db, config, clock=lambda: NOW)
    try:
        report = dispatcher.run_once()
    finally:
        dispatcher.close()
    assert report.sent == 1
    [(sender, recipients, raw)] = sink.messages
    assert sender == "digest@example.com" and recipients == ["ceo@example.com"]
    message = email.message_from_bytes(raw, policy=default)
    assert message["Subject"].startswith("[Groundswell] Daily digest: Acme Air")
    assert message.get_content_type() == "multipart/alternative"
    html, images = _parts(message)
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert len(referenced) == 2 and referenced == set(images)
    assert all(data.startswith(b"\x89PNG") for data in images.values())
    assert "What to do" in html and XSS not in html
    with db.session() as s:
        row = s.scalars(select(Delivery).where(Delivery.event == "digest")).one()
        assert row.status == "sent"
