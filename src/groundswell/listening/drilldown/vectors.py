"""Post vectors for samples and clusters: sentence embeddings, or term vectors as fallback.

Embeddings come from ``groundswell.enrichment.embeddings.embed`` (all-MiniLM-L6-v2, 384
floats, L2-normalised) when that module is installed and answers within a time budget.
They are cached per interaction id in a process-wide LRU, so the second view of the same
spike embeds nothing. A call that overruns the budget keeps running in the background and
fills the cache for the next view, while this view falls back to hashed TF-IDF term
vectors (the response says which method was used and why).
"""

from __future__ import annotations

import importlib
import logging
import math
import threading
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from groundswell.listening.drilldown.keyness import post_terms

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]
Embedder = Callable[[Sequence[str]], Matrix]
VectorMethod = Literal["embeddings", "terms"]

TERM_DIM = 512
"""Hashed term-vector width; collisions among a few hundred posts' terms are rare."""


def term_vectors(texts: Sequence[str], dim: int = TERM_DIM) -> Matrix:
    """TF-IDF over the batch, terms hashed into ``dim`` buckets (CRC32, stable across runs)."""
    docs = [_terms(t) for t in texts]
    df: Counter[str] = Counter()
    for terms in docs:
        df.update(set(terms))
    n = max(len(docs), 1)
    out = np.zeros((len(docs), dim), dtype=np.float32)
    for row, terms in enumerate(docs):
        for term in set(terms):
            idf = math.log((1 + n) / (1 + df[term])) + 1.0
            out[row, zlib.crc32(term.encode()) % dim] += idf
    return normalise(out)


def _terms(text: str) -> list[str]:
    unigrams, phrases = post_terms(text)
    return [*unigrams, *phrases]


def normalise(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Matrix = (matrix / norms).astype(np.float32)
    return out


class EmbeddingCache:
    """Vectors by interaction id, least recently used evicted first; thread-safe."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, Matrix] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, ids: Sequence[int]) -> dict[int, Matrix]:
        with self._lock:
            found = {}
            for i in ids:
                vector = self._items.get(i)
                if vector is not None:
                    self._items.move_to_end(i)
                    found[i] = vector
            return found

    def put_many(self, ids: Sequence[int], vectors: Matrix) -> None:
        with self._lock:
            for i, vector in zip(ids, vectors, strict=True):
                self._items[i] = vector
                self._items.move_to_end(i)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


CACHE = EmbeddingCache()
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drilldown-embed")


def default_embedder() -> Embedder | None:
    """The project's sentence encoder, or ``None`` when it is not installed."""
    try:
        module = importlib.import_module("groundswell.enrichment.embeddings")
    except ImportError:
        return None
    embed = getattr(module, "embed", None)
    return embed if callable(embed) else None


@dataclass(frozen=True, slots=True)
class PostVectors:
    matrix: Matrix
    method: VectorMethod
    note: str | None
    """Why term vectors were used instead of embeddings, when they were."""


def vectors_for(
    ids: Sequence[int],
    texts: Sequence[str],
    *,
    embedder: Embedder | None,
    cache: EmbeddingCache = CACHE,
    timeout: float = 2.0,
) -> PostVectors:
    """One row per post: cached or fresh embeddings, else term vectors and the reason."""
    if not ids:
        return PostVectors(np.zeros((0, TERM_DIM), dtype=np.float32), "terms", None)
    if embedder is None:
        return PostVectors(term_vectors(texts), "terms", "sentence embeddings are not installed")
    cached = cache.get_many(ids)
    missing = [k for k, i in enumerate(ids) if i not in cached]
    if missing:
        todo_ids = [ids[k] for k in missing]
        todo_texts = [texts[k] for k in missing]

        def work() -> None:
            cache.put_many(todo_ids, np.asarray(embedder(todo_texts), dtype=np.float32))

        future = _EXECUTOR.submit(work)
        try:
            future.result(timeout=timeout)
        except FutureTimeout:
            return PostVectors(
                term_vectors(texts),
                "terms",
                "embedding took too long; similar posts are grouped by shared words",
            )
        except Exception as exc:  # an encoder failure must not break the drill-down
            log.warning("embedding failed: %s", exc)
            return PostVectors(term_vectors(texts), "terms", "embedding failed; grouped by words")
        cached = cache.get_many(ids)
        if len(cached) < len(ids):  # evicted by a concurrent caller: embed what is missing
            return PostVectors(term_vectors(texts), "terms", "embedding cache was too small")
    return PostVectors(normalise(np.stack([cached[i] for i in ids])), "embeddings", None)
