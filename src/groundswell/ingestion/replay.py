"""Replay a recorded data set as if it were happening now, N times faster than it happened.

The demo needs traffic that looks live: posts arrive with the rhythm of the original data
(bursts and lulls), scaled by ``speed``, and each one is stamped with the moment it is
emitted so charts of "the last hour" fill up. Long lulls are capped so the demo never goes
quiet, and ids can be suffixed so the same file can be replayed again without every post
being removed as a duplicate.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from groundswell.core.clock import to_utc, utcnow
from groundswell.ingestion.formats import Accepted, parse_file
from groundswell.ingestion.schemas import InboundPost

log = logging.getLogger(__name__)


def replay(
    posts: Iterable[InboundPost],
    *,
    speed: float,
    start: datetime | None = None,
    fresh_ids: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    max_gap_seconds: float | None = 5.0,
) -> Iterator[InboundPost]:
    """Yield ``posts`` paced at ``speed`` times their original rhythm, re-dated to now.

    ``posts`` should be sorted by ``created_at`` (``load_sorted`` does that); they are
    emitted in the order given, and a post older than the one before simply follows it at
    once. The first post is emitted immediately; each next one when ``gap / speed`` seconds
    of wall time have passed since the previous one was due, where ``gap`` is the difference
    of their ``created_at``, capped at ``max_gap_seconds`` (``None``: no cap). Waiting is
    scheduled from the first emission, so time the consumer spends does not add up as drift.

    Each emitted post is a copy whose ``created_at`` is the wall-clock time of its emission:
    ``start`` plus the elapsed ``clock`` time when ``start`` is given (tests, reproducible
    runs), otherwise the current UTC time. With ``fresh_ids``, ``external_id`` and
    ``reply_to_external_id`` are made new the same way (``fresh_id``), so threads stay
    threaded.
    """
    if not speed > 0:
        raise ValueError(f"speed must be positive, not {speed}")
    if max_gap_seconds is not None and max_gap_seconds < 0:
        raise ValueError(f"max_gap_seconds must not be negative, not {max_gap_seconds}")
    origin = to_utc(start) if start is not None else None
    began: float | None = None
    due = 0.0
    previous: datetime | None = None
    for post in posts:
        if began is None:
            began = clock()
        else:
            due += _wait_for(post.created_at, previous, speed, max_gap_seconds)
            delay = began + due - clock()
            if delay > 0:
                sleep(delay)
        previous = post.created_at
        now = utcnow() if origin is None else origin + timedelta(seconds=clock() - began)
        yield _restamp(post, now, fresh_ids)


def _wait_for(
    created_at: datetime, previous: datetime | None, speed: float, cap: float | None
) -> float:
    """Seconds of wall time between two posts: their gap scaled by speed, then capped."""
    if previous is None:
        return 0.0
    wait = max((created_at - previous).total_seconds(), 0.0) / speed
    return wait if cap is None else min(wait, cap)


NUMERIC_STRIDE = 10**19
"""Above any tweet or status id: a numeric id made fresh is ``(1000 + n) × this + id``."""


def fresh_id(external_id: str, token: str) -> str:
    """``external_id`` made new for one replay run named ``token`` (pure).

    A numeric id stays a number (networks such as X refuse a reply whose parent id is not
    one, so an agent could not answer a replayed post): ``(1000 + n) × 10^19 + id``
    with ``n`` taken from the token, at least 23 digits, beyond any real id and beyond
    the demo history's copies (``demo.setup.copy_id``). Any other id gets ``-token``.
    """
    if external_id.isdigit() and int(external_id) < NUMERIC_STRIDE:
        digits = int(hashlib.sha256(token.encode()).hexdigest()[:12], 16) % 10**6
        return str((1000 + digits) * NUMERIC_STRIDE + int(external_id))
    return f"{external_id}-{token}"


def _restamp(post: InboundPost, now: datetime, fresh_ids: str | None) -> InboundPost:
    update: dict[str, object] = {"created_at": now}
    if fresh_ids is not None:
        update["external_id"] = fresh_id(post.external_id, fresh_ids)
        if post.reply_to_external_id is not None:
            update["reply_to_external_id"] = fresh_id(post.reply_to_external_id, fresh_ids)
    return post.model_copy(update=update)


def load_sorted(
    path: Path,
    fmt: str,
    *,
    limit: int | None = None,
    context: dict[str, object] | None = None,
) -> list[InboundPost]:
    """The accepted posts of a file, oldest first; with ``limit``, only the oldest ``limit``.

    Rejected records are skipped (``groundswell import`` is where they are reported); their
    number is logged. Ties keep file order, so a thread's replies stay behind their post.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    rejected = 0

    def accepted() -> Iterator[InboundPost]:
        nonlocal rejected
        for record in parse_file(path, fmt, context=context):
            if isinstance(record, Accepted):
                yield record.post
            else:
                rejected += 1

    def key(post: InboundPost) -> datetime:
        return post.created_at

    if limit is None:
        posts = sorted(accepted(), key=key)
    else:
        posts = heapq.nsmallest(limit, accepted(), key=key)
    if rejected:
        log.warning("%s: skipped %d rejected records", path, rejected)
    return posts
