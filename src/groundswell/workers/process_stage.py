"""The process stage: decode → enrich → remember, one transaction per batch.

A batch that fails as a whole is retried post by post, so one poison message cannot
hold back the others; what still fails stays pending for redelivery and, after
``max_deliveries``, lands in the dead-letter table with its reason. Events go out only
after the commit, then the loop acknowledges. A web chat visitor's consent box becomes a
consent record in the same transaction (``crm/chat_consent.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.core.brokers import Broker, Message
from groundswell.core.db import Database
from groundswell.core.metrics import (
    DEAD_LETTERS,
    EVENTS_EMITTED,
    INTERACTIONS_STORED,
    STAGE_SECONDS,
)
from groundswell.core.runtime import tune_gc_for_throughput
from groundswell.crm.channels_cache import ChannelIds
from groundswell.crm.chat_consent import record_chat_consents
from groundswell.crm.remember import RememberResult, remember_batch
from groundswell.enrichment.base import Enrichment
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.ingestion.outbound import BrandAccounts
from groundswell.ingestion.schemas import InboundPost
from groundswell.ingestion.service import events_stream, record_rejections
from groundswell.listening.models import Subject
from groundswell.notify import events
from groundswell.settings import Settings
from groundswell.workers.enrich_ahead import EnrichAhead
from groundswell.workers.enrich_process import EnrichmentProcess
from groundswell.workers.runner import BatchOutcome

log = logging.getLogger(__name__)

# Posts were validated at the edge; in the worker only the structure is rechecked, so a
# backlog replayed later is not refused for being "old" or clock-skewed.
EVENTS_MAXLEN = 100_000
"""Events are notifications, not work: keep the latest ones for late subscribers."""

_DECODE_CONTEXT = {"max_future_skew": timedelta(days=36500)}
PUBLISHED_LIMIT = 50_000
"""Published posts remembered for the stage's own loop (an importer keeps about 2,500)."""
CHUNKS = 4
"""With the enrichment process, a batch is enriched in this many chunks (after a small
first one), so storing each chunk overlaps enriching the next."""
MIN_CHUNK = 50
FIRST_CHUNK = 32
"""The first chunk of a batch is enriched while the writer can do nothing else, so it is
kept small: with four equal chunks of a 500-post batch the writer waited about a fifth
of the run for it."""


def chunk_sizes(n: int) -> list[int]:
    """How a batch of ``n`` posts is cut for the enrichment process: a small first chunk,
    then ``CHUNKS`` chunks of at least ``MIN_CHUNK`` (fewer when the batch is small)."""
    first = min(FIRST_CHUNK, n)
    rest = n - first
    if rest <= 0:
        return [first]
    size = max(MIN_CHUNK, -(-rest // CHUNKS))
    return [first] + [min(size, rest - i) for i in range(0, rest, size)]


def facts_of(post: InboundPost) -> PostFacts:
    return PostFacts(
        text=post.text,
        followers=post.author.followers,
        likes=post.engagement.likes,
        shares=post.engagement.shares,
        replies=post.engagement.replies,
        verified=post.author.verified,
        bio=post.author.bio,
        outbound=post.direction == "out",
    )


def interaction_events(result: RememberResult, posts: list[InboundPost]) -> list[dict[str, object]]:
    """The ``interaction.stored`` webhook objects (docs/webhooks.md)."""
    by_key = {(p.channel, p.external_id): p for p in posts}
    found = []
    for s in result.stored:
        post = by_key.get((s.channel, s.external_id))
        found.append(
            {
                "id": s.id,
                "channel": s.channel,
                "external_id": s.external_id,
                "direction": s.direction,
                "contact_id": s.contact_id,
                "conversation_id": s.conversation_id,
                "sentiment": s.sentiment_label,
                "subject_ids": list(s.subject_ids),
                "private": s.private,
                "text": post.text if post else None,
                "author_handle": post.author.handle if post else None,
                "created_at": post.created_at.isoformat() if post else None,
                "url": post.url if post else None,
            }
        )
    return found


class ProcessStage:
    """Holds what a worker keeps between batches: the enricher and cached ids."""

    SUBJECT_REFRESH_S = 10.0

    def __init__(self, settings: Settings, db: Database, broker: Broker) -> None:
        tune_gc_for_throughput()
        self.settings = settings
        self.db = db
        self.broker = broker
        self.enricher = Enricher(
            sentiment_mode=settings.sentiment, model_store=settings.model_store_dir
        )
        self.channels = ChannelIds()
        self._subjects_loaded_at = -1e9
        self.stored_total = 0
        self.brand_accounts = BrandAccounts.parse(settings.brand_accounts)
        self.enrich_process = (
            EnrichmentProcess(
                sentiment_mode=settings.sentiment, model_store=settings.model_store_dir
            )
            if settings.enrichment_process and settings.sentiment == "lexicon"
            else None
        )
        self.ahead: EnrichAhead | None = None
        self._published: dict[str, InboundPost] = {}
        if self.enrich_process is not None:
            self.enrich_process.warm_up()
            self.ahead = EnrichAhead(self.enrich_process, self.enricher)

    def published(self, ids: Sequence[str], posts: Sequence[InboundPost]) -> None:
        """Posts this process has just validated and published, by message id.

        An importer or replay in the embedded set-up validates each record, publishes it
        and then drains the queue itself: validating the JSON it has just written again
        cost a tenth of the writer's time per post. Their messages are taken as these
        posts (the validators give the same post for their own output); any other
        message, or one delivered again, is decoded as usual. Bounded, in case the loop
        that would take them is never run.
        """
        if len(self._published) + len(ids) > PUBLISHED_LIMIT:
            self._published.clear()
        self._published.update(zip(ids, posts, strict=True))

    def close(self) -> None:
        """Stop the enrichment process, if any (it also stops with this process)."""
        if self.ahead is not None:
            self.ahead.discard()
        if self.enrich_process is not None:
            self.enrich_process.close()

    def refresh_subjects(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._subjects_loaded_at < self.SUBJECT_REFRESH_S:
            return
        with self.db.session() as session:
            rows = session.execute(
                select(Subject.id, Subject.query).where(Subject.active.is_(True))
            ).all()
        subjects = [(int(i), str(q)) for i, q in rows]
        self.enricher.set_subjects(subjects)
        if self.enrich_process is not None:
            self.enrich_process.set_subjects(subjects)
        self._subjects_loaded_at = now

    def _decode(self, message: Message) -> InboundPost:
        """The message's post, marked outbound when a brand account wrote it.

        Raises ``ValidationError`` for a payload that is not a post."""
        post = self._published.pop(message.id, None)
        if post is None:
            post = InboundPost.model_validate_json(message.payload, context=_DECODE_CONTEXT)
        return self.brand_accounts.mark(post)

    def prefetch(self, messages: list[Message]) -> None:
        """The loop's next batch: decode it and start enriching it in the child now, so
        storing this batch and enriching the next run at once (``enrich_ahead``)."""
        if self.ahead is None or self.enrich_process is None or not self.enrich_process.ready():
            return
        self.refresh_subjects()  # the loop reads ahead before it handles its first batch
        items = []
        for message in messages:
            try:
                post = self._decode(message)
            except ValidationError:
                continue  # handled (and recorded) when its turn comes
            items.append((message, post, facts_of(post)))
        if items:
            self.ahead.start(items)

    def handle(self, messages: list[Message]) -> BatchOutcome:
        self.refresh_subjects()
        decoded: list[tuple[Message, InboundPost]] = []
        undecodable: list[tuple[Message, str]] = []
        for message in messages:
            ready = self.ahead.post(message) if self.ahead is not None else None
            if ready is not None:
                decoded.append((message, ready))
                continue
            try:
                post = self._decode(message)
            except ValidationError as exc:
                undecodable.append((message, f"undecodable message: {exc.errors()[0]['msg']}"))
                continue
            decoded.append((message, post))
        if undecodable:
            with self.db.session() as session:
                record_rejections(
                    session,
                    source="pipeline",
                    rejections=[
                        (f"message {m.id}", None, reason, m.payload.decode("utf-8", "replace"))
                        for m, reason in undecodable
                    ],
                )
        done = [m.id for m, _ in undecodable]
        try:
            self._store(decoded)
            done.extend(m.id for m, _ in decoded)
            return BatchOutcome(done=done, failed={})
        except Exception:
            if len(decoded) <= 1:
                raise
            log.warning("batch of %d failed; retrying one by one", len(decoded), exc_info=True)
        failed: dict[str, str] = {}
        for message, post in decoded:
            try:
                self._store([(message, post)])
                done.append(message.id)
            except Exception as exc:
                log.warning("message %s failed: %s", message.id, type(exc).__name__)
                failed[message.id] = f"{type(exc).__name__}: {exc}"[:2000]
        return BatchOutcome(done=done, failed=failed)

    def _store(self, decoded: list[tuple[Message, InboundPost]]) -> RememberResult | None:
        if not decoded:
            return None
        posts = [p for _, p in decoded]
        if self.ahead is not None and len(self.ahead):
            ahead = self.ahead.take({m.id for m, _ in decoded})
            if ahead:
                return self._store_enriched(decoded, ahead)
        if (
            self.enrich_process is not None
            and len(posts) >= 2 * MIN_CHUNK
            and self.enrich_process.ready()
        ):
            return self._store_overlapped(posts)
        with STAGE_SECONDS.labels("enrich").time():
            enrichments = self.enricher.enrich_many([facts_of(p) for p in posts])
        with STAGE_SECONDS.labels("remember").time(), self.db.session(write=True) as session:
            result = remember_batch(
                session, items=list(zip(posts, enrichments, strict=True)), channels=self.channels
            )
            self._after_remember(session, result, posts)
        return self._stored(result)

    def _store_enriched(
        self, decoded: list[tuple[Message, InboundPost]], ahead: dict[str, Enrichment]
    ) -> RememberResult:
        """Remember a batch whose enrichment was started ahead; the rest is enriched here."""
        missing = [p for m, p in decoded if m.id not in ahead]
        extra: Iterator[Enrichment] = iter(())
        if missing:
            with STAGE_SECONDS.labels("enrich").time():
                extra = iter(self.enricher.enrich_many([facts_of(p) for p in missing]))
        enrichments = [ahead[m.id] if m.id in ahead else next(extra) for m, _ in decoded]
        posts = [p for _, p in decoded]
        with STAGE_SECONDS.labels("remember").time(), self.db.session(write=True) as session:
            result = remember_batch(
                session, items=list(zip(posts, enrichments, strict=True)), channels=self.channels
            )
            self._after_remember(session, result, posts)
        return self._stored(result)

    def _store_overlapped(self, posts: list[InboundPost]) -> RememberResult:
        """Enrich chunks in the child while the chunks already enriched are stored.

        All chunks go into one transaction, as a batch always does; remembering a batch
        chunk by chunk in one session gives the same rows as remembering it at once
        (later chunks see the earlier ones' rows, so duplicates and replies resolve).
        """
        assert self.enrich_process is not None
        chunks: list[list[InboundPost]] = []
        start = 0
        for size in chunk_sizes(len(posts)):
            chunks.append(posts[start : start + size])
            start += size
        facts = [[facts_of(p) for p in chunk] for chunk in chunks]
        futures = [self.enrich_process.submit(f) for f in facts]
        with STAGE_SECONDS.labels("enrich").time():
            first = self.enrich_process.collect(futures[0], facts[0], self.enricher)
        with STAGE_SECONDS.labels("remember").time(), self.db.session(write=True) as session:
            parts = [
                remember_batch(
                    session, items=list(zip(chunks[0], first, strict=True)), channels=self.channels
                )
            ]
            for chunk, chunk_facts, future in zip(chunks[1:], facts[1:], futures[1:], strict=True):
                enrichments = self.enrich_process.collect(future, chunk_facts, self.enricher)
                parts.append(
                    remember_batch(
                        session,
                        items=list(zip(chunk, enrichments, strict=True)),
                        channels=self.channels,
                    )
                )
            result = RememberResult(
                stored=[s for part in parts for s in part.stored],
                duplicates=sum(part.duplicates for part in parts),
                new_identities=sum(part.new_identities for part in parts),
                new_contacts=sum(part.new_contacts for part in parts),
            )
            self._after_remember(session, result, posts)
        return self._stored(result)

    def _after_remember(
        self, session: Session, result: RememberResult, posts: list[InboundPost]
    ) -> None:
        """What follows storing, in the same transaction: consents, webhook events."""
        record_chat_consents(session, posts)
        if result.stored and events.wanted(session, "interaction.stored"):
            emitted = events.emit_many(
                session, "interaction.stored", interaction_events(result, posts)
            )
            EVENTS_EMITTED.labels("interaction.stored").inc(emitted)

    def _stored(self, result: RememberResult) -> RememberResult:
        self.stored_total += len(result.stored)
        for stored in result.stored:
            INTERACTIONS_STORED.labels(stored.channel).inc()
        if result.stored:
            self._publish_events(result)
        return result

    def _publish_events(self, result: RememberResult) -> None:
        """Tell later stages (listening, engagement) what was stored; best effort.

        The database is the source of truth, so a lost event delays a live view but
        never loses data.
        """
        payloads = [
            orjson.dumps(
                {
                    "type": "interaction.stored",
                    "id": s.id,
                    "channel": s.channel,
                    "external_id": s.external_id,
                    "direction": s.direction,
                    "contact_id": s.contact_id,
                    "conversation_id": s.conversation_id,
                    "sentiment": s.sentiment_label,
                    "subjects": list(s.subject_ids),
                }
            )
            for s in result.stored
        ]
        try:
            self.broker.publish(events_stream(self.settings), payloads, maxlen=EVENTS_MAXLEN)
        except Exception:
            log.warning("could not publish %d events", len(payloads), exc_info=True)

    def dead_letter(self, message: Message, reason: str) -> None:
        DEAD_LETTERS.labels("posts").inc()
        ref = f"message {message.id}"
        try:
            doc = orjson.loads(message.payload)
            if isinstance(doc, dict):
                ref = f"{doc.get('channel')}/{doc.get('external_id')}"
        except orjson.JSONDecodeError:
            pass
        with self.db.session() as session:
            record_rejections(
                session,
                source="pipeline",
                rejections=[
                    (
                        ref,
                        None,
                        f"failed {message.deliveries} times: {reason}",
                        message.payload.decode("utf-8", "replace"),
                    )
                ],
            )
