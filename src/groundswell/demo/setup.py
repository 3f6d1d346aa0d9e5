"""Demo set-up: a login, the airlines as tracked subjects, and some history.

Everything is created only when missing, so ``make run`` can be repeated safely.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from tqdm import tqdm

from groundswell.auth.admin import add_user
from groundswell.auth.audit import Actor, record
from groundswell.auth.models import User
from groundswell.auth.ops_schemas import UserAdminCreate
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_user
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.replay import load_sorted
from groundswell.ingestion.schemas import InboundPost
from groundswell.listening.models import Subject
from groundswell.settings import Settings

SAMPLE = Path(__file__).resolve().parent / "data" / "sample.jsonl"
DEMO_EMAIL = "demo@groundswell.local"
DEMO_PASSWORD = "groundswell-demo"  # noqa: S105 - documented demo login, local only
HISTORY_SHARE = 0.5
HISTORY_SPAN = timedelta(hours=26)
"""How far back the demo history reaches: past the spike detector's one-day warm-up."""

DEMO_SUBJECTS: list[tuple[str, str, str]] = [
    ("United", "brand", '@united OR united OR "united airlines"'),
    ("American Airlines", "competitor", '@americanair OR "american airlines" OR americanair'),
    ("Delta", "competitor", "@delta OR @deltaassist OR delta"),
    ("Southwest", "competitor", "@southwestair OR southwest"),
    ("US Airways", "competitor", '@usairways OR "us airways" OR usairways'),
    ("Virgin America", "competitor", '@virginamerica OR "virgin america"'),
    ("JetBlue", "competitor", "@jetblue OR jetblue"),
    ("Delays", "topic", 'delay OR delayed OR delays OR "late flight" OR "on hold"'),
    ("Cancellations", "topic", 'cancelled OR canceled OR cancellation OR "cancelled flightled"'),
    (
        "Lost luggage",
        "topic",
        "(lost OR missing OR damaged) AND (bag OR bags OR luggage OR baggage)",
    ),
]


@dataclass(frozen=True)
class DemoPlan:
    history: list[InboundPost]
    live: list[InboundPost]


def split_sample(speed: float = 1.0, now_minus: timedelta = timedelta(minutes=1)) -> DemoPlan:
    """Half of each source as history (ending just before now), half for the live replay.

    Both sources are aligned on a common start so the live replay interleaves them. The
    history is compressed by the replay's ``speed`` as well, so the posts per minute the
    spike detector learns from match what the replay then delivers: a demo at 60x
    reads as the same conversation running 60 times faster, not as a sudden flood.
    """
    posts = load_sorted(SAMPLE, "native")
    by_source: dict[bool, list[InboundPost]] = {True: [], False: []}
    for post in posts:
        by_source[bool(post.raw and "airline" in post.raw)].append(post)
    history: list[InboundPost] = []
    live: list[InboundPost] = []
    anchor = min(p.created_at for p in posts)
    for source in by_source.values():
        if not source:
            continue
        shift = anchor - source[0].created_at
        cut = int(len(source) * HISTORY_SHARE)
        aligned = [p.model_copy(update={"created_at": p.created_at + shift}) for p in source]
        history.extend(aligned[:cut])
        live.extend(aligned[cut:])
    history.sort(key=lambda p: p.created_at)
    live.sort(key=lambda p: p.created_at)
    if history:
        end = utcnow() - now_minus
        last = history[-1].created_at
        history = [
            p.model_copy(update={"created_at": end - (last - p.created_at) / speed})
            for p in history
        ]
        history = _tile_backwards(history, HISTORY_SPAN)
    return DemoPlan(history, live)


def _tile_backwards(history: list[InboundPost], span: timedelta) -> list[InboundPost]:
    """Repeat the history further back (with fresh ids) until it covers ``span``.

    The spike detector needs about a day of minutes before it judges anything; at demo
    speed the sample's history lasts only an hour or two, so earlier copies of the same
    real posts stand in for the quieter past.
    """
    first, last = history[0].created_at, history[-1].created_at
    step = (last - first) + timedelta(minutes=1)
    out = list(history)
    copy = 1
    while last - (first - (copy - 1) * step) < span:
        shift = copy * step
        suffix = f"-h{copy}"
        out.extend(
            p.model_copy(
                update={
                    "created_at": p.created_at - shift,
                    "external_id": p.external_id + suffix,
                    "reply_to_external_id": (
                        p.reply_to_external_id + suffix if p.reply_to_external_id else None
                    ),
                }
            )
            for p in history
        )
        copy += 1
    out.sort(key=lambda p: p.created_at)
    return out


DEMO_COLLEAGUE = "analyst@groundswell.local"
DEMO_ACTOR = Actor(user_id=None, label="demo-setup")


def ensure_demo_user(db: Database) -> bool:
    """The demo admin, and a colleague to try "Users & tokens" on (deactivate, set a
    password, end sessions). The colleague's password is random: an admin sets one."""
    with db.session() as session:
        if session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is not None:
            return False
        # The documented demo login skips the strength check only here; it passes it anyway.
        demo = create_user(
            session,
            data=UserCreate(email=DEMO_EMAIL, password=DEMO_PASSWORD, role="admin", name="Demo"),
        )
        record(
            session,
            actor=DEMO_ACTOR,
            action="user.create",
            target_type="user",
            target_id=demo.id,
            target=demo.email,
            details={"role": demo.role},
        )
        if session.scalar(select(User.id).where(User.email == DEMO_COLLEAGUE)) is None:
            colleague = UserAdminCreate(
                email=DEMO_COLLEAGUE,
                password=secrets.token_urlsafe(24),
                role="analyst",
                name="Ana Lyst",
            )
            add_user(session, data=colleague, policy=PasswordPolicy(), actor=DEMO_ACTOR)
        return True


def ensure_demo_subjects(db: Database) -> int:
    created = 0
    with db.session() as session:
        names = set(session.scalars(select(Subject.name)))
        for name, kind, query in DEMO_SUBJECTS:
            if name not in names:
                session.add(Subject(name=name, kind=kind, query=query))
                created += 1
    return created


def has_posts(db: Database) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(func.count()).select_from(Interaction)))


def load_history(
    settings: Settings, db: Database, posts: list[InboundPost], *, progress: bool = False
) -> int:
    """Run the history through the real pipeline (in-process) and return how many stored."""
    from groundswell.core.brokers.memory import MemoryBroker
    from groundswell.ingestion.service import submit_posts
    from groundswell.workers.loops import consumer_name, process_loop

    embedded = settings.model_copy(update={"broker_url": "memory://"})
    broker = MemoryBroker()
    loop, stage = process_loop(embedded, db, broker, consumer=consumer_name())
    with tqdm(total=len(posts), unit="post", desc="demo history", disable=not progress) as bar:
        for start in range(0, len(posts), 1000):
            chunk = posts[start : start + 1000]
            submit_posts(broker, embedded, chunk)
            loop.drain()
            bar.update(len(chunk))
    return stage.stored_total
