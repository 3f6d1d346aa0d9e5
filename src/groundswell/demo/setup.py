"""Demo set-up: a login, the airlines as tracked subjects, and some history.

Everything is created only when missing, so ``make run`` can be repeated safely.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from groundswell.channels.models import Channel
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.ingestion.replay import load_sorted
from groundswell.ingestion.schemas import Author, InboundPost
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
    history spans ``HISTORY_SPAN`` with the daily rhythm of the posts' real timestamps,
    at the rate the replay delivers at ``speed`` around now: a demo at 60x reads as the
    same conversation running on, not as a sudden flood (``daily_history``).
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
    live = spread_live(live, by_source=lambda p: bool(p.raw and "airline" in p.raw))
    if history and len(live) > 1:
        history = daily_history(
            history,
            profile=hourly_profile(p.created_at.hour for p in posts),
            end=utcnow() - now_minus,
            span=HISTORY_SPAN,
            rate_now=replay_rate(live, speed),
        )
    return DemoPlan(history, live)


def spread_live(
    live: list[InboundPost], *, by_source: Callable[[InboundPost], object]
) -> list[InboundPost]:
    """Stretch each source's live half over the longest one's span, in order (pure).

    The brand-support sample is a snapshot: its live half covers about half an hour of
    real time, which a 60x replay would deliver as several hundred posts in its first
    minute, a burst the spike detector rightly flags and that no customer caused. Spread
    over the airline half's two days, its threads keep their order and interleave with
    the rest as steady traffic.
    """
    groups: dict[object, list[InboundPost]] = {}
    for post in live:
        groups.setdefault(by_source(post), []).append(post)
    spans = {key: posts[-1].created_at - posts[0].created_at for key, posts in groups.items()}
    target = max(spans.values(), default=timedelta(0))
    spread: list[InboundPost] = []
    for key, posts in groups.items():
        span = spans[key]
        if span <= timedelta(0) or span * 4 >= target:
            spread.extend(posts)
            continue
        start, factor = posts[0].created_at, target / span
        spread.extend(
            p.model_copy(update={"created_at": start + (p.created_at - start) * factor})
            for p in posts
        )
    spread.sort(key=lambda p: p.created_at)
    return spread


def replay_rate(live: list[InboundPost], speed: float) -> float:
    """Posts per minute the replay delivers at ``speed``: the median over its minutes.

    The median, because a replay may open with a backlog minute of several hundred
    posts that says nothing about the level the conversation then runs at (pure).
    """
    start = live[0].created_at
    per_minute: dict[int, int] = {}
    for post in live:
        minute = int((post.created_at - start).total_seconds() / speed // 60)
        per_minute[minute] = per_minute.get(minute, 0) + 1
    span = max(per_minute) + 1
    counts = sorted(per_minute.get(i, 0) for i in range(span))
    return float(max(counts[span // 2], 1))


def hourly_profile(hours: Iterable[int]) -> list[float]:
    """Relative traffic per UTC hour of day from the real posts' own timestamps (pure).

    Counts are clipped at twice their median (one real incident, like the evening of a
    mass cancellation, would otherwise become every day's peak) and smoothed over the
    neighbouring hours; the result has mean 1.
    """
    counts = [0.0] * 24
    for hour in hours:
        counts[hour % 24] += 1
    cap = 2 * sorted(counts)[12] or 1.0
    clipped = [min(c, cap) for c in counts]
    smooth = [(clipped[h - 1] + 2 * clipped[h] + clipped[(h + 1) % 24]) / 4 for h in range(24)]
    mean = sum(smooth) / 24 or 1.0
    return [max(x / mean, 0.05) for x in smooth]


def daily_history(
    posts: list[InboundPost],
    *,
    profile: list[float],
    end: datetime,
    span: timedelta,
    rate_now: float,
    seed: int = 2015,
) -> list[InboundPost]:
    """Real posts laid over the ``span`` before ``end`` with the real daily rhythm (pure).

    Each minute gets a Poisson count whose mean follows ``profile`` by hour of day,
    scaled so the last minutes match the live replay's rate (``rate_now`` posts a
    minute): the detector then learns a day that rises and falls like real traffic and
    meets the replay at the level it continues, instead of one short block repeated.
    Posts are taken in their real order, cycling with fresh ids per pass, so replies
    still follow the posts they answer. Each pass after the first gives the customers'
    posts to other customers (``pass_authors``): otherwise a customer's timeline held
    the same tweet once per pass, 29 times in a day.

    The rhythm is shifted by the fewest hours that put ``end`` at an ordinary hour
    (traffic within 0.8-1.25 of the day's mean): scaled from a trough, the day's peak
    would be several times the replay and the history several hundred thousand posts.
    """
    rng = random.Random(seed)
    shift = min(
        (d for d in range(-12, 13) if 0.8 <= profile[(end.hour + d) % 24] <= 1.25),
        key=abs,
        default=0,
    )
    profile = [profile[(h + shift) % 24] for h in range(24)]
    scale = rate_now / profile[end.hour]
    out: list[InboundPost] = []
    k, n = 0, len(posts)
    recast = pass_authors(posts)
    minutes = int(span.total_seconds() // 60) + 1  # whole minutes covering the span
    first = end - timedelta(minutes=minutes)
    for i in range(minutes):
        minute = first + timedelta(minutes=i)
        count = _poisson(rng, scale * profile[minute.hour])
        offsets = sorted(rng.random() * 60 for _ in range(count))
        for offset in offsets:
            post, copy = posts[k % n], k // n
            out.append(
                post.model_copy(
                    update={
                        "author": recast(post.author, copy),
                        "created_at": minute + timedelta(seconds=offset),
                        "external_id": copy_id(post.external_id, copy),
                        "reply_to_external_id": (
                            copy_id(post.reply_to_external_id, copy)
                            if post.reply_to_external_id
                            else None
                        ),
                    }
                )
            )
            k += 1
    return out


MIN_BRAND_CUSTOMERS = 50
"""A brand's customers are recast among themselves when there are at least this many."""
AUTHOR_STRIDE = 7_919
"""How far along the customers each pass moves a post's author (a prime, so passes give
each customer a different set of posts until the list is walked round)."""


def pass_authors(posts: list[InboundPost]) -> Callable[[Author, int], Author]:
    """Who wrote a post in the ``copy``-th pass of the history (pure).

    The first pass keeps every author. Later passes give each customer's posts to
    another customer *of the same brand* (the account they address most: ``@united``),
    ``copy × AUTHOR_STRIDE`` places further along that brand's customers, the same one
    for the whole pass: a thread's customer stays one person, and a United customer
    keeps talking to United (given anyone's posts, every customer complained to every
    airline, and the brand's inbox opened a case for nearly all of them). Authors who
    ever post outbound (the brands' own accounts) keep their posts: a brand's reply is
    never put in a customer's mouth.
    """
    brands = {p.author.external_id for p in posts if p.direction == "out"}
    by_id: dict[str, Author] = {}
    addressed: dict[str, Counter[str]] = {}
    for post in posts:
        if post.author.external_id not in brands:
            by_id.setdefault(post.author.external_id, post.author)
            addressed.setdefault(post.author.external_id, Counter())[_addressee(post.text)] += 1
    brand_of = {k: addressed[k].most_common(1)[0][0] for k in by_id}
    sizes = Counter(brand_of.values())
    groups: dict[str, list[str]] = {}
    for external_id in sorted(by_id):
        brand = brand_of[external_id]
        # a brand with few customers would hand the same few posts round and round:
        # its customers join one pool with the other small ones
        groups.setdefault(brand if sizes[brand] >= MIN_BRAND_CUSTOMERS else "", []).append(
            external_id
        )
    place = {
        external_id: (group, i) for group in groups.values() for i, external_id in enumerate(group)
    }

    def author(original: Author, copy: int) -> Author:
        found = place.get(original.external_id)
        if copy == 0 or found is None:
            return original
        group, i = found
        return by_id[group[(i + copy * AUTHOR_STRIDE) % len(group)]]

    return author


def _addressee(text: str) -> str:
    """The first account a post addresses (``@united``), or "" for none."""
    for word in text.split():
        if word.startswith("@") and len(word) > 1:
            return word.rstrip(".,:;!?").lower()
    return ""


COPY_STRIDE = 10**19
"""Numeric ids of the ``copy``-th pass are ``copy × COPY_STRIDE + id``: twenty digits,
longer than any id in the sample, so they never meet a real one."""


def copy_id(external_id: str, copy: int) -> str:
    """The id of a post's ``copy``-th pass through the history (pure).

    Ids stay in the network's shape: a tweet id stays a number, so the X stand-in (which
    refuses a reply to an id that is not one, as X does) lets an agent answer a history
    post. Other ids get a ``-h<copy>`` suffix.
    """
    if not copy:
        return external_id
    if external_id.isdigit() and int(external_id) < COPY_STRIDE:
        return str(copy * COPY_STRIDE + int(external_id))
    return f"{external_id}-h{copy}"


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal above 30 (plenty for a demo)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


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


def has_history(db: Database, history: list[InboundPost]) -> bool:
    """Whether the demo history was loaded already: its first post is stored.

    Not "any post at all": the demo's connectors and the customer-record set-up store
    posts of their own from the first seconds, and the history must still load then.
    Loading it twice is harmless anyway (posts are unique by channel and external id).
    """
    if not history:
        return True
    first = history[0]
    with db.session() as session:
        found = session.scalar(
            select(func.count())
            .select_from(Interaction)
            .join(Channel, Channel.id == Interaction.channel_id)
            .where(Channel.key == first.channel, Interaction.external_id == first.external_id)
        )
    return bool(found)


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
            stage.published(submit_posts(broker, embedded, chunk), chunk)
            loop.drain()
            bar.update(len(chunk))
    stage.close()
    return stage.stored_total
