"""Alert pieces that need no database: targets, summaries, signatures, Slack, back-off."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from groundswell.listening.alerts.deliveries import mask_target
from groundswell.listening.alerts.outbox import summarize
from groundswell.listening.alerts.schemas import AlertRuleCreate, AlertTarget, SuppressionCreate
from groundswell.notify.queue import RetryPolicy
from groundswell.notify.senders import (
    DeliveryConfig,
    Outgoing,
    slack_message,
)
from groundswell.notify.signing import sign, verify


@pytest.mark.parametrize(
    ("kind", "to"),
    [
        ("email", "care@example.com"),
        ("webhook", "https://hooks.example.com/groundswell"),
        ("slack", "https://hooks.slack.com/services/T000/B000/XXXX"),
        ("webhook", "http://127.0.0.1:8080/in"),
    ],
)
def test_good_targets(kind: str, to: str) -> None:
    assert AlertTarget.model_validate({"kind": kind, "to": f"  {to} "}).to == to


@pytest.mark.parametrize(
    ("kind", "to"),
    [
        ("email", "not an address"),
        ("email", "a@b"),
        ("email", "x@example.com\nBcc: all@example.com"),
        ("webhook", "ftp://example.com/x"),
        ("webhook", "javascript:alert(1)"),
        ("slack", "hooks.slack.com/services/x"),
        ("pager", "123"),
    ],
)
def test_bad_targets_are_refused_naming_the_target(kind: str, to: str) -> None:
    with pytest.raises(ValidationError) as info:
        AlertRuleCreate.model_validate({"name": "r", "targets": [{"kind": kind, "to": to}]})
    assert info.value.errors()[0]["loc"][:2] == ("targets", 0)


def test_rule_fields_are_checked() -> None:
    with pytest.raises(ValidationError) as info:
        AlertRuleCreate.model_validate(
            {"name": " ", "metrics": ["volume", "mood"], "min_severity": 11}
        )
    fields = {e["loc"][0] for e in info.value.errors()}
    assert fields == {"name", "metrics", "min_severity"}
    rule = AlertRuleCreate.model_validate({"name": "all", "metrics": ["volume", "volume"]})
    assert rule.metrics == ["volume"] and rule.subject_ids is None


def test_suppression_window_must_end_after_it_starts() -> None:
    t = datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="until must be later"):
        SuppressionCreate(starts_at=t, until=t)
    with pytest.raises(ValidationError):
        SuppressionCreate.model_validate({"until": "2024-05-01T10:00:00"})  # no offset


def test_summary_reads_as_a_sentence() -> None:
    minute = datetime(2024, 5, 1, 10, 41, tzinfo=UTC)
    text = summarize(
        subject_name="Delta",
        metric="negative",
        observed=42,
        expected=6.2,
        minute=minute,
        severity=8,
    )
    assert text == (
        "Negative posts about Delta: 42 in the minute at 10:41 UTC vs 6.2 expected (severity 8)"
    )
    net = summarize(
        subject_name="Delta",
        metric="net_sentiment",
        observed=-0.62,
        expected=0.1,
        minute=minute,
        severity=7,
    )
    assert "-0.62 in the minute at 10:41 UTC vs +0.10 expected" in net


def test_signature_covers_timestamp_and_body() -> None:
    secret, body = b"s3cret", b'{"event":"opened"}'
    header = sign(secret, 1_700_000_000, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    ok = {"body": body, "timestamp": "1700000000", "signature": header}
    assert verify(secret, now=1_700_000_010, **ok)
    assert not verify(b"other", now=1_700_000_010, **ok)
    assert not verify(secret, now=1_700_000_010, **{**ok, "body": body + b" "})
    assert not verify(secret, now=1_700_000_010, **{**ok, "timestamp": "1700000001"})
    assert not verify(secret, now=1_700_000_000 + 3600, **ok)  # a replay an hour later


def test_slack_message_escapes_user_text() -> None:
    item = Outgoing(
        id=1,
        kind="slack",
        target="https://hooks.slack.com/x",
        event="opened",
        payload={"alert": {"id": 9, "subject": "<!channel> & co", "summary": "a <b> c"}},
    )
    message = slack_message(item)
    assert message["text"] == "Alert opened: a &lt;b&gt; c"
    body = json.dumps(message)
    assert "<!channel>" not in body and "&lt;!channel&gt; &amp; co" in body


def test_delivery_targets_are_shown_without_their_secret_path() -> None:
    slack = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    assert mask_target("slack", slack) == "https://hooks.slack.com/…"
    assert mask_target("webhook", "https://user:pw@example.com") == "https://example.com"
    assert mask_target("email", "care@example.com") == "care@example.com"


def test_back_off_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=30, max_delay_s=600)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        step = min(600, 30 * 2 ** (n - 1))
        assert timedelta(seconds=step / 2) <= delay <= timedelta(seconds=step)
    assert delays[-1] <= timedelta(seconds=600)


def test_delivery_config_never_shows_secrets() -> None:
    config = DeliveryConfig(
        smtp_host="smtp.example.com",
        smtp_port=587,
        smtp_from="gs@example.com",
        smtp_username="gs",
        smtp_password="hunter2",
        smtp_starttls=True,
        webhook_secret=b"whsec",
    )
    assert "hunter2" not in repr(config) and "whsec" not in repr(config)
