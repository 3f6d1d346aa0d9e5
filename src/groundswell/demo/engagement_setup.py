"""Demo set-up for engagement: a care team, rules, an SLA policy and canned responses,
and a few cases opened from the latest unhappy posts, so a newcomer can answer a
customer and watch an SLA clock at once. Created only when missing."""

from __future__ import annotations

from sqlalchemy import select

from groundswell.auth.models import User
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.engagement.config_models import CannedResponse, Rule, SlaPolicy
from groundswell.engagement.models import Agent, Case, Queue, QueueMember
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.listening.models import Subject

TEAM = [
    ("ann@groundswell.local", "Ann Agent", "agent", False),
    ("bob@groundswell.local", "Bob Agent", "agent", True),
    ("lea@groundswell.local", "Lea Lead", "lead", False),
]
CANNED = [
    (
        "Apology",
        "sorry",
        "Hi {{contact.first_name}}, I'm sorry about this. I'm {{agent.name}} and I'm on it"
        " — could you send us a DM with your booking reference?",
        [],
        False,
    ),
    (
        "Thanks",
        "thanks",
        "Thanks {{contact.first_name}}, glad we could help! — {{agent.name}}",
        ["thanked"],
        True,
    ),
    (
        "Looking into it",
        "looking",
        "Hi {{contact.first_name}}, we're looking into this now and will update you shortly."
        " — {{agent.name}}",
        [],
        False,
    ),
]


DEMO_CASE_HORIZON_MINUTES = 20
"""The demo's rules act on the history's last 20 minutes only (``case_horizon_minutes``).

The history is a day of posts loaded at start; with the product's default (a day) every
unhappy post of it opened a case at once, 600 cases due in the same minute. Twenty
minutes leaves a team's real morning: the oldest urgent cases already past their
15-minute target (about one case in six), the others close to theirs, and the live
replay's new ones (40 minutes put half of them past their target at start)."""

OTHER_NETWORKS = ("mastodon", "bluesky", "reddit", "reviews", "youtube", "sms", "facebook")
"""Channel keys of the demo's stand-in networks besides X (``demo/channel_standins.py``)."""


def ensure_engagement(db: Database, *, password: str, open_cases: int = 25) -> list[str]:
    """Create the demo team and set-up if missing; returns what was created."""
    done: list[str] = []
    with db.session() as s:
        if s.scalar(select(Queue.id).where(Queue.name == "Care")) is not None:
            return done
        ids = []
        for email, name, role, training in TEAM:
            uid = s.scalar(select(User.id).where(User.email == email))
            if uid is None:
                uid = create_user(
                    s, data=UserCreate(email=email, password=password, role=role, name=name)
                ).id
            s.add(
                Agent(
                    user_id=uid,
                    capacity=15,
                    away=False,
                    skills=[],
                    languages=["en"],
                    in_training=training,
                )
            )
            ids.append(uid)
        queue = Queue(name="Care", strategy="least_loaded", skills=[], languages=["en"])
        s.add(queue)
        s.flush()
        s.add_all([QueueMember(queue_id=queue.id, user_id=u) for u in ids[:2]])
        s.add(
            SlaPolicy(
                name="Standard care (around the clock)",
                first_response_min=30,
                next_response_min=60,
                resolution_min=8 * 60,
                warn_before_min=10,
                timezone="UTC",
                hours={},
                notify_kind="in_app",
                active=True,
            )
        )
        s.add(
            SlaPolicy(
                name="Urgent",
                priority="urgent",
                first_response_min=15,
                next_response_min=30,
                resolution_min=4 * 60,
                warn_before_min=5,
                timezone="UTC",
                hours={},
                notify_kind="in_app",
                active=True,
            )
        )
        brand = s.scalar(select(Subject.id).where(Subject.kind == "brand").order_by(Subject.id))
        conditions: dict[str, object] = {"sentiments": ["negative"], "channels": ["twitter"]}
        if brand is not None:
            conditions["subject_ids"] = [brand]
        s.add(
            Rule(
                name="Unhappy posts about our brand → Care",
                position=10,
                stop=False,
                active=True,
                conditions=conditions,
                actions=[
                    {"type": "open_case"},
                    {"type": "assign_queue", "queue_id": queue.id},
                    {"type": "tag", "tag": "complaint"},
                ],
            )
        )
        s.add(
            Rule(
                name="Unhappy customers on our other networks → Care",
                position=15,
                stop=False,
                active=True,
                # The demo's stand-in networks: a newcomer answers these customers from
                # the inbox through their own network, as on X.
                conditions={"sentiments": ["negative"], "channels": list(OTHER_NETWORKS)},
                actions=[
                    {"type": "open_case"},
                    {"type": "assign_queue", "queue_id": queue.id},
                    {"type": "tag", "tag": "complaint"},
                ],
            )
        )
        s.add(
            Rule(
                name="Cancellations and refunds are urgent",
                position=20,
                stop=True,
                active=True,
                conditions={
                    "keywords": ["cancelled", "canceled", "refund", "lost bag", "lost luggage"]
                },
                actions=[
                    {"type": "set_priority", "priority": "urgent"},
                    {"type": "tag", "tag": "urgent"},
                ],
            )
        )
        for name, shortcut, body, tags, resolve in CANNED:
            s.add(
                CannedResponse(name=name, shortcut=shortcut, body=body, tags=tags, resolve=resolve)
            )
        done.append(
            "care team (ann, bob in training, lea lead), queue, 3 rules, 2 SLA policies, "
            "3 canned responses"
        )
    with db.session() as s:
        if s.scalar(select(Case.id).limit(1)) is None and open_cases:
            ruleset = load_rules(s)
            latest = s.scalars(
                select(Interaction.id)
                .where(Interaction.direction == "in", Interaction.sentiment_label == "negative")
                .order_by(Interaction.created_at.desc())
                .limit(open_cases * 20)
            ).all()
            opened = 0
            for iid in latest:
                if apply_rules(s, interaction_id=iid, ruleset=ruleset, now=utcnow()) is not None:
                    opened += 1
                if opened >= open_cases:
                    break
            if opened:
                done.append(f"{opened} cases from the latest unhappy posts")
    return done
