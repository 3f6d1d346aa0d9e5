"""Alert notifications reach a real local SMTP server and local HTTP receivers.

The SMTP server is a few dozen lines over ``socketserver`` speaking just the commands
``smtplib`` sends; the webhook receivers are ``http.server`` handlers that check the
HMAC signature, answer 500, or hold the request past the sender's timeout. Failures
are retried with back-off and end ``dead`` with their error; the evaluator keeps
working while a receiver hangs. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from groundswell.core.clock import floor_minute, utcnow
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.listening.alerts.lifecycle import AlertBook
from groundswell.listening.alerts.models import AlertDelivery, AlertRule, DetectorState
from groundswell.listening.evaluator import last_closed_minute
from groundswell.listening.models import ALL_POSTS, MinuteRollup, Subject
from groundswell.notify.dispatcher import Dispatcher
from groundswell.notify.queue import RetryPolicy, claim_due
from groundswell.notify.senders import DeliveryConfig
from groundswell.notify.signing import verify
from groundswell.settings import Settings
from groundswell.workers.listen_loop import ListenLoop

SECRET = "test-webhook-secret"
TIMEOUT_S = 0.5
POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.05, max_delay_s=0.2, lease_s=30)


# -- a local SMTP server -----------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SmtpServer = self.server  # type: ignore[assignment]
        self.reply("220 localhost test SMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command[8:].strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.messages.append((sender, recipients, message_from_bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[str, list[str], Message]] = []


# -- local webhook receivers -------------------------------------------------------------


@dataclass
class Receiver:
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append((self.path, dict(self.headers.items()), body))
            if self.path.startswith("/hang"):
                receiver.entered.set()
                receiver.release.wait(10)
                return
            code = 500 if self.path.startswith("/fail") else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    state.release.set()
    server.shutdown()
    server.server_close()


def _config(smtp_port: int) -> DeliveryConfig:
    return DeliveryConfig(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="groundswell@example.com",
        smtp_username=None,
        smtp_password=None,
        smtp_starttls=False,
        webhook_secret=SECRET.encode(),
        timeout_s=TIMEOUT_S,
        outbound=OutboundPolicy.from_setting("127.0.0.1"),
    )


def _open_alert(db: Database, targets: list[dict[str, str]]) -> int:
    """A rule with ``targets`` and one freshly opened alert (its deliveries queued)."""

    @dataclass(frozen=True)
    class Spike:
        metric: str = "negative"
        minute: Any = None
        expected: float = 6.0
        observed: float = 42.0
        severity: int = 8
        p_value: float = 1e-12

    now = utcnow()
    minute = now.replace(second=0, microsecond=0)
    with db.session() as s:
        subject = Subject(name="Delta", kind="brand", query="delta")
        s.add(subject)
        s.add(AlertRule(name="all", subject_ids=None, metrics=["negative"], targets=targets))
        s.flush()
        book = AlertBook(s, now=now)
        book.observe(subject.id, minute, [Spike(minute=minute)])
        report = book.finish()
        assert report.opened == 1
        return subject.id


def _deliveries(db: Database) -> dict[str, AlertDelivery]:
    with db.session() as s:
        rows = s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
        return {f"{d.kind}:{d.target.rsplit('/', 1)[-1]}": d for d in rows}


def _settle(dispatcher: Dispatcher, db: Database, rounds: int = 200) -> None:
    """Run dispatch rounds until nothing is pending or failed (back-off is tiny here)."""
    for _ in range(rounds):
        dispatcher.run_once()
        with db.session() as s:
            busy = s.scalar(
                select(AlertDelivery.id).where(AlertDelivery.status.in_(("pending", "failed")))
            )
        if busy is None:
            return
        time.sleep(0.05)
    pytest.fail("deliveries never settled")


def test_notifications_arrive_and_failures_end_visibly_dead(
    db: Database, smtp: SmtpServer, receiver: tuple[str, Receiver]
) -> None:
    base, state = receiver
    state.release.set()  # hang past the timeout, then let the handler finish
    _open_alert(
        db,
        [
            {"kind": "email", "to": "care@example.com"},
            {"kind": "webhook", "to": f"{base}/hook"},
            {"kind": "slack", "to": f"{base}/slack"},
            {"kind": "webhook", "to": f"{base}/fail"},
            {"kind": "in_app", "to": ""},
        ],
    )
    dispatcher = Dispatcher(db, _config(smtp.server_address[1]), policy=POLICY)
    try:
        _settle(dispatcher, db)
    finally:
        dispatcher.close()

    rows = _deliveries(db)
    assert {k: r.status for k, r in rows.items()} == {
        "email:care@example.com": "sent",
        "webhook:hook": "sent",
        "slack:slack": "sent",
        "webhook:fail": "dead",
        "in_app:": "sent",
    }
    failed = rows["webhook:fail"]
    assert failed.attempts == POLICY.max_attempts
    assert failed.last_error == f"attempt {POLICY.max_attempts}: receiver answered HTTP 500"

    [(sender, recipients, mail)] = smtp.messages
    assert sender == "groundswell@example.com" and recipients == ["care@example.com"]
    assert mail["Subject"].startswith("[Groundswell] Alert opened: Negative posts about Delta")
    assert "Drill-down: /drilldown?alert_id=" in mail.get_payload()

    by_path: dict[str, list[tuple[dict[str, str], bytes]]] = {}
    for path, headers, body in state.requests:
        by_path.setdefault(path, []).append((headers, body))
    [(headers, body)] = by_path["/hook"]
    assert verify(
        SECRET.encode(),
        body=body,
        timestamp=headers.get("X-Groundswell-Timestamp"),
        signature=headers.get("X-Groundswell-Signature"),
        now=time.time(),
    )
    payload = json.loads(body)
    assert payload["event"] == "opened" and payload["alert"]["severity"] == 8
    assert payload["delivery_id"] == int(headers["X-Groundswell-Delivery"])
    [(_, slack_body)] = by_path["/slack"]
    slack = json.loads(slack_body)
    assert slack["text"].startswith("Alert opened:") and slack["blocks"][0]["type"] == "section"
    assert len(by_path["/fail"]) == POLICY.max_attempts


def test_a_receiver_that_never_answers_times_out_and_is_retried(
    db: Database, smtp: SmtpServer, receiver: tuple[str, Receiver]
) -> None:
    base, state = receiver
    _open_alert(db, [{"kind": "webhook", "to": f"{base}/hang"}])
    dispatcher = Dispatcher(db, _config(smtp.server_address[1]), policy=POLICY)
    try:
        _settle(dispatcher, db)
    finally:
        state.release.set()
        dispatcher.close()
    [row] = _deliveries(db).values()
    assert row.status == "dead" and row.attempts == POLICY.max_attempts
    assert row.last_error == f"attempt {POLICY.max_attempts}: no answer within {TIMEOUT_S:g} s"


def test_without_smtp_settings_email_fails_visibly(db: Database) -> None:
    _open_alert(db, [{"kind": "email", "to": "care@example.com"}])
    config = DeliveryConfig.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    dispatcher = Dispatcher(db, config, policy=POLICY)
    try:
        _settle(dispatcher, db)
    finally:
        dispatcher.close()
    [row] = _deliveries(db).values()
    assert row.status == "dead"
    assert "SMTP is not configured" in (row.last_error or "")


def test_a_hanging_receiver_does_not_hold_up_evaluation(
    db: Database, settings: Settings, smtp: SmtpServer, receiver: tuple[str, Receiver]
) -> None:
    base, state = receiver
    _open_alert(db, [{"kind": "webhook", "to": f"{base}/hang"}])
    clock = [utcnow()]
    dispatcher = Dispatcher(db, _slow_config(smtp), policy=POLICY, clock=lambda: clock[0])
    loop = ListenLoop(
        settings,
        db,
        evaluate_every_s=0.05,
        dispatch_every_s=0.05,
        dispatcher=dispatcher,
        clock=lambda: clock[0],
    )
    loop.start()
    try:
        assert state.entered.wait(10), "the dispatcher never reached the receiver"
        before = _evaluated_through(db)
        clock[0] += timedelta(minutes=3)  # minutes close while the send is stuck
        with db.session() as s:  # ... and the pipeline keeps storing posts (the watermark)
            s.add(
                MinuteRollup(
                    minute=floor_minute(clock[0]),
                    subject_id=ALL_POSTS,
                    channel_id=1,
                    sentiment_label="neutral",
                    count=1,
                    sentiment_sum=0.0,
                )
            )
        expected = last_closed_minute(clock[0])
        for _ in range(400):  # evaluation may step through the closed minutes in rounds
            if _evaluated_through(db) == expected:
                break
            time.sleep(0.05)
        assert before != expected
        assert _evaluated_through(db) == expected
        assert not state.release.is_set()  # the receiver was holding the send all along
    finally:
        state.release.set()
        loop.stop()


def test_a_minute_held_for_the_watermark_is_judged_on_the_next_tick(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    """A tick that ran before the pipeline stored the closing post does not skip the minute."""
    _open_alert(db, [])
    clock = [utcnow()]
    loop = ListenLoop(settings, db, dispatcher=Dispatcher(db, _config(smtp.server_address[1])))
    loop.clock = lambda: clock[0]
    try:
        clock[0] += timedelta(minutes=3)
        held = loop.evaluate_once()  # the post of the new minute is not stored yet
        expected = last_closed_minute(clock[0])
        assert held is not None and held.judged_through is not None
        assert held.judged_through < expected
        with db.session() as s:
            s.add(
                MinuteRollup(
                    minute=floor_minute(clock[0]),
                    subject_id=ALL_POSTS,
                    channel_id=1,
                    sentiment_label="neutral",
                    count=1,
                    sentiment_sum=0.0,
                )
            )
        caught_up = loop.evaluate_once()  # same clock: no new minute closed
        assert caught_up is not None
        assert _evaluated_through(db) == expected
    finally:
        loop.dispatcher.close()


def _evaluated_through(db: Database) -> datetime | None:
    with db.session() as s:
        return s.scalar(select(func.max(DetectorState.last_minute)))


def _slow_config(smtp: SmtpServer) -> DeliveryConfig:
    """A timeout long enough that the send is still in flight while we evaluate."""
    return replace(_config(smtp.server_address[1]), timeout_s=8.0)


def test_two_dispatchers_never_claim_the_same_delivery(db: Database) -> None:
    _open_alert(db, [{"kind": "webhook", "to": f"http://127.0.0.1:9/{n}"} for n in range(6)])
    if db.dialect != "postgresql":
        pytest.skip("SQLite has a single writer: claims cannot overlap by construction")
    first = db.sessionmaker()
    second = db.sessionmaker()
    try:
        mine = claim_due(first, now=utcnow(), limit=4, policy=POLICY)
        theirs = claim_due(second, now=utcnow(), limit=10, policy=POLICY)
        assert len(mine) == 4 and len(theirs) == 2
        assert not {d.id for d in mine} & {d.id for d in theirs}
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()
