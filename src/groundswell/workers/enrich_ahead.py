"""The next batch's enrichment, started in the child while this batch is stored.

Cutting each batch into chunks (``process_stage._store_overlapped``) lets storing overlap
enriching within a batch, but the writer still waits for the first chunk of every batch,
and remembering a batch chunk by chunk runs each of its dozen statements once per chunk.
Here the consumer loop reads the next batch before handling the current one
(``ConsumerLoop.prefetch``), the stage decodes it and hands it to the enrichment child,
and when its turn comes the whole batch is remembered at once.

Whichever process is free works: when the writer reaches a batch whose chunks the child
has not started yet, it takes those chunks back (a queued future can still be cancelled)
and enriches them itself, so neither process idles while the other has work. The results
are the same wherever a chunk is enriched (the same ``Enricher``, the same subjects).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from groundswell.core.brokers import Message
from groundswell.enrichment.base import Enrichment
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.ingestion.schemas import InboundPost
from groundswell.workers.enrich_process import EnrichmentProcess

AHEAD_CHUNK = 64
"""Posts per chunk sent ahead: small enough that the writer can take back most of what the
child has not reached, large enough that each chunk's round trip is a small part of it."""


@dataclass
class _Chunk:
    round: int
    ids: list[str]
    facts: list[PostFacts]
    future: Future[list[Enrichment]]


class EnrichAhead:
    """Decoded posts and enrichment futures of messages read ahead, by message id.

    The loop reads batch n+1 ahead before handling batch n, which was itself read ahead
    a round earlier: so two rounds are in flight, and what is older is dropped.
    """

    KEEP_ROUNDS = 2

    def __init__(self, process: EnrichmentProcess, fallback: Enricher) -> None:
        self._process = process
        self._fallback = fallback
        self._posts: dict[str, tuple[bytes, InboundPost]] = {}
        self._chunks: list[_Chunk] = []
        self._round = 0

    def __len__(self) -> int:
        return len(self._posts)

    def start(self, items: list[tuple[Message, InboundPost, PostFacts]]) -> None:
        """Send these posts' enrichment to the child, in chunks."""
        self._round += 1
        stale = [c for c in self._chunks if c.round <= self._round - self.KEEP_ROUNDS]
        if stale:
            self._drop(stale)
        for message, post, _ in items:
            self._posts[message.id] = (message.payload, post)
        for start in range(0, len(items), AHEAD_CHUNK):
            part = items[start : start + AHEAD_CHUNK]
            facts = [f for _, _, f in part]
            self._chunks.append(
                _Chunk(self._round, [m.id for m, _, _ in part], facts, self._process.submit(facts))
            )

    def post(self, message: Message) -> InboundPost | None:
        """The post decoded ahead for this very message (same id, same bytes), if any."""
        found = self._posts.get(message.id)
        if found is None or found[0] != message.payload:
            return None
        return found[1]

    def take(self, ids: set[str]) -> dict[str, Enrichment]:
        """The enrichments started ahead for these message ids (others stay).

        Chunks the child has not started are cancelled and enriched here, last first
        (the child works from the first), then the child's chunks are collected.
        """
        mine = [c for c in self._chunks if not ids.isdisjoint(c.ids)]
        if not mine:
            return {}
        self._chunks = [c for c in self._chunks if ids.isdisjoint(c.ids)]
        for chunk in mine:
            for i in chunk.ids:
                self._posts.pop(i, None)
        found: dict[str, Enrichment] = {}
        waiting = []
        for chunk in reversed(mine):
            if not chunk.future.done() and chunk.future.cancel():
                found.update(zip(chunk.ids, self._fallback.enrich_many(chunk.facts), strict=True))
            else:
                waiting.append(chunk)
        for chunk in reversed(waiting):
            enrichments = self._process.collect(chunk.future, chunk.facts, self._fallback)
            found.update(zip(chunk.ids, enrichments, strict=True))
        return found

    def discard(self) -> None:
        """Drop everything started ahead (nothing of it is stored)."""
        self._drop(list(self._chunks))

    def _drop(self, chunks: list[_Chunk]) -> None:
        for chunk in chunks:
            chunk.future.cancel()
            for i in chunk.ids:
                self._posts.pop(i, None)
        dropped = {id(c) for c in chunks}
        self._chunks = [c for c in self._chunks if id(c) not in dropped]
