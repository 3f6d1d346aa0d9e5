"""Rows and clients for the alert API and page tests (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.db import Database
from groundswell.listening.alerts.models import Alert, AlertDelivery, AlertRule, Anomaly
from groundswell.listening.models import Subject

PASSWORD = "correct horse battery"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


class World:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.session() as s:
            self.admin = create_user(
                s, data=UserCreate(email="ana@example.com", password=PASSWORD, role="admin")
            ).id
            self.agent = create_user(
                s, data=UserCreate(email="bo@example.com", password=PASSWORD, role="agent")
            ).id
            self.admin_token = create_api_token(s, user_id=self.admin, name="t")
            self.agent_token = create_api_token(s, user_id=self.agent, name="t")
            subject = Subject(name="Delta <b>Air</b>", kind="brand", query="delta")
            s.add(subject)
            s.flush()
            self.subject = subject.id

    def alert(self, *, status: str = "open", severity: int = 7, minutes: int = 0) -> int:
        started = T0 + timedelta(minutes=minutes)
        with self.db.session() as s:
            row = Alert(
                subject_id=self.subject,
                metric="negative",
                status=status,
                severity=severity,
                started_at=started,
                last_anomaly_at=started + timedelta(minutes=2),
                resolved_at=started + timedelta(minutes=13) if status == "resolved" else None,
                expected=6.0,
                observed=42.0,
                summary="Negative posts about Delta <b>Air</b>: 42 vs 6 expected (severity 7)",
            )
            s.add(row)
            s.flush()
            s.add(
                Anomaly(
                    subject_id=self.subject,
                    metric="negative",
                    minute=started,
                    expected=6.0,
                    observed=42.0,
                    severity=severity,
                    p_value=1e-9,
                    alert_id=row.id,
                )
            )
            return row.id

    def rule(self) -> int:
        with self.db.session() as s:
            rule = AlertRule(
                name="care",
                subject_ids=None,
                metrics=["negative"],
                min_severity=1,
                targets=[{"kind": "webhook", "to": "https://hooks.example.com/secret-path"}],
            )
            s.add(rule)
            s.flush()
            return rule.id

    def delivery(self, alert_id: int, *, status: str = "dead") -> int:
        with self.db.session() as s:
            row = AlertDelivery(
                alert_id=alert_id,
                event="opened",
                kind="slack",
                target="https://hooks.slack.com/services/T0/B0/SECRET",
                status=status,
                attempts=8,
                last_error="attempt 8: receiver answered HTTP 500",
                payload={},
            )
            s.add(row)
            s.flush()
            return row.id


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, email: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    again = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/alerts").text)
    assert again
    return again.group(1)
