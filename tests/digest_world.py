"""A brand's day for digest tests: posts (with hostile text), rollups for it and four
earlier weeks, a competitor, alerts, cases with replies, surveys, and an idle connector."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.crm.models import Identity, Interaction, InteractionSubject
from groundswell.engagement.config_models import SlaPolicy
from groundswell.engagement.models import Case
from groundswell.engagement.reply_models import CsatSurvey
from groundswell.listening.alerts.models import Alert
from groundswell.listening.models import Subject
from groundswell.listening.rollups import RollupInput, add_to_rollups, aggregate

DAY = date(2026, 11, 23)
"""A Monday."""
START = datetime(2026, 11, 23, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"

ORDINARY = "@acmeair smooth flight and friendly crew, thanks"
STORM = [
    "@acmeair flight delayed three hours and now cancelled, nobody at the gate",
    "@acmeair lost baggage again, cancelled flight and no hotel voucher",
    "@acmeair cancelled again?! stuck in Denver, lost baggage too",
]


def build(db: Database, *, brand_name: str = "Acme Air", alerts: int = 2) -> dict[str, int]:
    with db.session() as s:
        tw, ma = (
            Channel(key="twitter", name="X / Twitter"),
            Channel(key="mastodon", name="Mastodon"),
        )
        brand = Subject(name=brand_name, kind="brand", query="@acmeair")
        rival = Subject(name="Globex Air", kind="competitor", query="globex")
        topic = Subject(name="Airports", kind="topic", query="airport")
        s.add_all([tw, ma, brand, rival, topic])
        s.flush()
        people = [
            Identity(platform="twitter", external_id=str(n), handle=f"@flyer{n}") for n in range(6)
        ]
        s.add_all(people)
        s.flush()
        made: list[Interaction] = []
        for back in range(0, 5):
            base = START - timedelta(weeks=back)
            for k in range(240):
                at = base + timedelta(minutes=6 * k)
                storm = back == 0 and 14 * 60 <= 6 * k < 16 * 60
                text = STORM[k % 3] if storm else ORDINARY
                if back == 0 and k == 150:
                    text = XSS + " cancelled baggage"
                row = Interaction(
                    channel_id=(ma if k % 4 == 0 else tw).id,
                    external_id=f"p{back}-{k}",
                    direction="in",
                    identity_id=people[k % 6].id,
                    text=text,
                    created_at=at,
                    sentiment_label="negative" if storm or (back == 0 and k == 150) else "positive",
                    sentiment_score=-0.7 if storm else 0.5,
                    subject_ids=[brand.id],
                )
                made.append(row)
        s.add_all(made)
        s.flush()
        s.add_all(InteractionSubject(interaction_id=r.id, subject_id=brand.id) for r in made)
        add_to_rollups(
            s,
            aggregate(
                RollupInput(
                    r.created_at,
                    r.channel_id,
                    r.sentiment_label or "neutral",
                    r.sentiment_score or 0.0,
                    (brand.id,),
                )
                for r in made
            ),
        )
        rival_rows = [
            RollupInput(START + timedelta(minutes=10 * k), tw.id, "neutral", 0.0, (rival.id,))
            for k in range(80)
        ]
        add_to_rollups(s, aggregate(rival_rows))
        for n in range(alerts):
            s.add(
                Alert(
                    subject_id=brand.id,
                    metric="negative" if n % 2 == 0 else "volume",
                    status="open" if n == 0 else "resolved",
                    severity=max(1, 8 - n % 8),
                    started_at=START + timedelta(hours=14, minutes=n % 50),
                    last_anomaly_at=START + timedelta(hours=15),
                    resolved_at=None if n == 0 else START + timedelta(hours=16),
                    expected=2.0,
                    observed=20.0,
                    summary=f"Negative spike {n} " + XSS,
                )
            )
        # As the product keeps them: an answer clears the first-response due time, and
        # the policy says what the target was.
        policy = SlaPolicy(
            name="Hour",
            first_response_min=60,
            next_response_min=120,
            resolution_min=480,
            warn_before_min=10,
            timezone="UTC",
            hours={},
            notify_kind="in_app",
            active=True,
        )
        s.add(policy)
        s.flush()
        cases = []
        for n in range(8):
            opened = START + timedelta(hours=8 + n)
            replied = opened + timedelta(minutes=10 if n % 2 else 90) if n < 6 else None
            cases.append(
                Case(
                    subject=("Refund please " + XSS) if n == 6 else f"Delayed flight {n}",
                    status="open" if replied is None else "resolved",
                    channel="twitter" if n % 2 else "mastodon",
                    customer_value=0.9 if n == 6 else 0.4,
                    priority_score=80.0 if n == 6 else 30.0,
                    priority_label="high" if n == 6 else "normal",
                    opened_at=opened,
                    first_responded_at=replied,
                    first_response_due=None if replied else opened + timedelta(minutes=60),
                    sla_policy_id=policy.id,
                    resolved_at=replied + timedelta(hours=2) if replied else None,
                    last_activity_at=opened,
                )
            )
        s.add_all(cases)
        s.flush()
        s.add_all(
            CsatSurvey(
                case_id=cases[n].id,
                nonce=f"n{n}",
                expires_at=NOW + timedelta(days=7),
                answered_at=START + timedelta(hours=20),
                score=4 + n % 2,
            )
            for n in range(3)
        )
        return {"brand": brand.id, "rival": rival.id, "topic": topic.id}
