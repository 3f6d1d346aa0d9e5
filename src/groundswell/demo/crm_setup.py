"""The customer record in the demo: cross-channel duplicates to review, and purchases.

The demo's posts are all from Twitter, where the airline sample gives handles only. So
that the duplicate review and value have something real to show, this adds, for some of
the most active Twitter authors:

- an email to the support address from ``<handle>@example.com`` — the handle equals the
  email's local part and the names agree, so the matcher merges the two contacts itself
  (see the merge log);
- a Mastodon reply from a similar handle (``<handle>_ca@mastodon.example``) — the same
  name but a different handle: probable, not certain, so it waits in the review queue;
- a customer number and purchases drawn from the BG/NBD and Gamma-Gamma processes with
  the CDNOW parameters, so value, p(alive) and expected purchases show on contacts. The
  buyers are spread over the authors (9 in 20, busy and quiet alike), as an airline's
  followers are mostly but not all its customers;
- for some of the others, a question about buying a ticket a few days back (their first
  touch), and for half of those a purchase the day after: the journey rules then move
  them to consideration and purchase as they would a real shopper.

Everything goes through the real pipeline, matcher and import, and is made only once.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from groundswell.auth.models import User
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.clv.schemas import TransactionIn
from groundswell.crm.clv.service import add_customer_key, import_transactions, refit
from groundswell.crm.corrections import correct
from groundswell.crm.leads import LEAD_INTENT, promote_leads
from groundswell.crm.matching.service import match_pending
from groundswell.crm.models import Contact, Identity, Interaction
from groundswell.crm.segment_models import Segment
from groundswell.crm.segments import SegmentFilter, SegmentIn, create_segment
from groundswell.demo.buying_questions import buying_question
from groundswell.ingestion.schemas import Author, InboundPost
from groundswell.settings import Settings

MERGED = 8
REVIEW = 8
BUYERS = 2000
BUYER_SHARE = 9
"""In 20 authors, this many are buyers."""
SHOPPER_EVERY = 4
"""One in this many of the other authors asks about buying; every other shopper buys."""
SHOPPERS = 300
LEAD_POSTS = 6
"""Buying questions from known authors, asked within the demo's first hour."""
SEED = 20150217

_EMAILS = (
    "Hello, I wrote to you on Twitter about my booking, still no answer. Can someone call me?",
    "Following up on my tweet: the refund for my cancelled flight has not arrived.",
    "My bag did not arrive with me, as I said on Twitter. Reference attached.",
    "Thanks for sorting out my seat yesterday, your agent on Twitter was great.",
)


def _top_authors(db: Database, limit: int) -> list[tuple[int, str, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(Identity.contact_id, Identity.handle, Identity.display_name)
            .join(Interaction, Interaction.identity_id == Identity.id)
            .where(Identity.platform == "twitter", Identity.is_brand.is_(False))
            .where(Identity.contact_id.is_not(None), Identity.handle.is_not(None))
            .group_by(Identity.contact_id, Identity.handle, Identity.display_name)
            .order_by(func.count().desc(), Identity.handle)
            .limit(limit)
        ).all()
    return [(cid, handle, name) for cid, handle, name in rows if cid and handle]


def cross_channel_posts(authors: list[tuple[int, str, str | None]]) -> list[InboundPost]:
    now = utcnow().replace(microsecond=0)
    posts: list[InboundPost] = []
    for i, (_, handle, name) in enumerate(authors[:MERGED]):
        local = handle.lstrip("@").lower()
        posts.append(
            InboundPost(
                channel="email",
                external_id=f"demo-crm-email-{local}",
                text=_EMAILS[i % len(_EMAILS)],
                created_at=now - timedelta(hours=2 + i),
                author=Author(
                    external_id=f"{local}@example.com",
                    handle=f"{local}@example.com",
                    display_name=name or handle,
                    email=f"{local}@example.com",
                ),
            )
        )
    for i, (_, handle, name) in enumerate(authors[MERGED : MERGED + REVIEW]):
        local = handle.lstrip("@")
        posts.append(
            InboundPost(
                channel="mastodon",
                external_id=f"demo-crm-mastodon-{local.lower()}",
                text="Same problem again today, does anyone at the airline read this?",
                created_at=now - timedelta(hours=1 + i),
                author=Author(
                    external_id=f"{local}_ca@mastodon.example",
                    handle=f"{local}_ca@mastodon.example",
                    display_name=name or handle,
                    profile_url=f"https://mastodon.example/@{local}_ca",
                ),
            )
        )
    return posts


def simulated_purchases(
    count: int, *, today: date, seed: int = SEED
) -> list[list[tuple[date, float]]]:
    """Purchase histories from BG/NBD (r, α, a, b) and Gamma-Gamma (p, q, γ) of CDNOW."""
    rng = random.Random(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    p, q, gamma = 6.25, 3.74, 15.44
    out = []
    for _ in range(count):
        rate = rng.gammavariate(r, 1 / alpha)  # purchases per week
        drop = rng.betavariate(a, b)
        nu = rng.gammavariate(q, 1 / gamma)
        start = today - timedelta(weeks=rng.uniform(30, 78))
        day, history = start, []
        while True:
            history.append((day, round(max(rng.gammavariate(p, 1 / nu), 0.5), 2)))
            if rng.random() < drop or rate <= 0:
                break
            gap = rng.expovariate(rate)
            if gap >= (today - day).days / 7:
                break
            day = day + timedelta(weeks=gap)
        out.append(history)
    return out


def shopper_posts(
    authors: list[tuple[int, str, str | None]], *, now: datetime
) -> list[InboundPost]:
    """A buying question from each author, 2–9 days back (before the replay's history)."""
    out = []
    for i, (_, handle, name) in enumerate(authors):
        out.append(
            InboundPost(
                channel="twitter",
                external_id=f"demo-shop-{handle.lstrip('@').lower()}",
                text=f"@united {buying_question(i)}",
                created_at=now - timedelta(days=2 + i % 8, hours=i % 11),
                author=Author(external_id=handle, handle=handle, display_name=name or handle),
            )
        )
    return out


def _corrected_to_intent(db: Database, pattern: str) -> None:
    """Where the model missed the buying intent, a person corrects it (see below)."""
    with db.session() as session:
        corrector = session.scalar(select(User.id).order_by(User.id).limit(1))
        missed = session.scalars(
            select(Interaction.id).where(
                Interaction.external_id.like(pattern),
                Interaction.intent.is_distinct_from(LEAD_INTENT),
            )
        ).all()
        for ident in missed:
            correct(
                session,
                interaction_id=ident,
                user_id=corrector,
                sentiment_label=None,
                intents=[LEAD_INTENT],
            )


def _shoppers(
    settings: Settings, db: Database, others: list[tuple[int, str, str | None]], *, load: object
) -> list[tuple[int, date]]:
    """Post the shoppers' questions; returns (contact, purchase day) for those who buy."""
    shoppers = others[::SHOPPER_EVERY][:SHOPPERS]
    if not shoppers:
        return []
    now = utcnow().replace(microsecond=0)
    posts = shopper_posts(shoppers, now=now)
    load(settings, db, posts)  # type: ignore[operator]
    _corrected_to_intent(db, "demo-shop-%")
    return [
        (cid, (post.created_at + timedelta(days=1)).date())
        for (cid, _, _), post in list(zip(shoppers, posts, strict=True))[::2]
    ]


def ensure_crm_demo(settings: Settings, db: Database, *, load: object) -> dict[str, int]:
    """Add the cross-channel posts, match, load purchases and refit, once.

    ``load`` is ``demo.setup.load_history`` (posts through the real pipeline).
    """
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Transaction)):
            return {}
    authors = _top_authors(db, 100_000)
    if not authors:
        return {}
    stored = load(settings, db, cross_channel_posts(authors))  # type: ignore[operator]
    with db.session() as session:
        report = match_pending(
            session,
            auto_threshold=settings.identity_auto_merge_threshold,
            review_threshold=settings.identity_review_threshold,
            limit=100_000,
        )
    today = utcnow().date()
    with db.session() as session:
        merged = set(session.scalars(select(Contact.id).where(Contact.merged_into_id.is_not(None))))
    active = [a for a in authors if a[0] not in merged]
    buyers = [a[0] for i, a in enumerate(active) if i % 20 < BUYER_SHARE][:BUYERS]
    others = [a for i, a in enumerate(active) if i % 20 >= BUYER_SHARE]
    converted = _shoppers(settings, db, others, load=load)
    items: list[tuple[str, TransactionIn]] = []
    with db.session() as session:
        for n, contact_id in enumerate([*buyers, *(c for c, _ in converted)]):
            add_customer_key(session, contact_id=contact_id, key=f"DEMO-{n:05d}", source="demo")
        histories = simulated_purchases(len(buyers), today=today)
        rng = random.Random(SEED)
        histories += [[(day, round(rng.uniform(80, 600), 2))] for _, day in converted]
        for n, history in enumerate(histories):
            for k, (day, amount) in enumerate(history):
                items.append(
                    (
                        f"demo {n}/{k}",
                        TransactionIn(
                            customer_key=f"DEMO-{n:05d}",
                            date=day,
                            amount=amount,
                            external_id=f"demo-{n}-{k}",
                        ),
                    )
                )
        imported = import_transactions(session, source="demo", items=items).imported
        run = refit(
            session,
            horizon_weeks=settings.clv_horizon_weeks,
            annual_discount_rate=settings.clv_annual_discount_rate,
            triggered_by="demo",
        )
    return {
        "posts": int(stored),
        "merged": report.merged,
        "candidates": report.candidates,
        "purchases": imported,
        "buyers": run.customers,
    }


DEMO_SEGMENTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("High value, still active", {"min_value": 50.0, "min_p_alive": 0.5}),
    ("Considering a purchase", {"stages": ["consideration"]}),
    ("Buyers in service on Twitter", {"stages": ["service"], "channels": ["twitter"]}),
)


_NEW_BUYERS: list[tuple[int, str, str | None]] = [
    (0, "sam_rivera_travels", "Sam Rivera"),
    (0, "priya_on_the_go", "Priya Nair"),
    (0, "mkowalski", "Marta Kowalski"),
    (0, "jt_familytrips", "Jordan Taylor"),
    (0, "ana_b_gifts", "Ana Barros"),
    (0, "chicagoweekender", "Lee Chen"),
]


def intent_posts(authors: list[tuple[int, str, str | None]]) -> list[InboundPost]:
    """A few posts asking to buy, from authors already known, for the Leads page."""
    now = utcnow().replace(microsecond=0)
    out = []
    for i, (_, handle, name) in enumerate(authors[:LEAD_POSTS]):
        local = handle.lstrip("@").lower()
        out.append(
            InboundPost(
                channel="twitter",
                external_id=f"demo-lead-{local}",
                text=f"@united {buying_question(SHOPPERS + i)}",
                created_at=now - timedelta(minutes=30 + 7 * i),
                author=Author(external_id=handle, handle=handle, display_name=name or handle),
            )
        )
    return out


def ensure_segments_and_leads(settings: Settings, db: Database, *, load: object) -> dict[str, int]:
    """A few saved segments, and leads from purchase-intent posts, once each.

    The replay's airline tweets almost never ask to buy, and the shipped intent model
    labels such questions ``support_question``. So a few buying questions from known
    authors go through the real pipeline and, where the model missed the intent, are
    corrected to ``purchase_intent`` the way a person does on the stream (recorded as
    corrections, which also feed retraining). Leads are then made by the step the
    customer-record loop runs, which keeps adding leads as new posts arrive.
    """
    made = 0
    with db.session() as session:
        if not session.scalar(select(func.count()).select_from(Segment)):
            owner = session.scalar(select(User.id).order_by(User.id).limit(1))
            for name, flt in DEMO_SEGMENTS:
                create_segment(
                    session,
                    data=SegmentIn(name=name, filter=SegmentFilter.model_validate(flt)),
                    owner_id=owner,
                )
                made += 1
    skip = MERGED + REVIEW
    authors = _top_authors(db, skip + LEAD_POSTS)[skip:]
    # On a first start the replay's history is still loading: new customers ask instead.
    authors += _NEW_BUYERS[: max(0, LEAD_POSTS - len(authors))]
    with db.session() as session:
        loaded = session.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.external_id.like("demo-lead-%"))
        )
    if authors and not loaded:
        load(settings, db, intent_posts(authors))  # type: ignore[operator]
        _corrected_to_intent(db, "demo-lead-%")
    leads = 0
    after = 0
    while True:
        with db.session() as session:
            report = promote_leads(session, after_id=after)
        leads += report.created
        if report.scanned == 0 or report.last_id == after:
            break
        after = report.last_id
    return {"segments": made, "leads": leads}
