"""Which posts to look at: a bounded candidate set, then representative *and* diverse picks.

Candidates (at most ``cap``, 200 by default) are what gets embedded and clustered, so
they are chosen to cover the window: near-duplicate texts (retweets, copy-paste
campaigns) collapse to one, then a third each go to the most influential posts, the
most recent ones, and an even spread over the rest in time order.

Samples are chosen by maximal marginal relevance (Carbonell & Goldstein 1998): each pick
maximises ``λ · relevance − (1 − λ) · max similarity to the posts already picked``, where
relevance mixes how central a post is (cosine to the window's mean vector) and its
author's influence. λ = 0.6 leans to relevance while still refusing near-repeats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from groundswell.listening.drilldown.vectors import Matrix

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w#@]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    text: str
    created_at: datetime
    influence: float


def fingerprint(text: str) -> str:
    """Text without URLs, case, punctuation or a leading "RT @x:"; equal for near-copies."""
    text = _URL.sub(" ", text.casefold())
    text = re.sub(r"^rt\s+@\w+:?", " ", text.strip())
    return " ".join(_NON_WORD.sub(" ", text).split())


def pick_candidates(posts: Sequence[Candidate], cap: int = 200) -> list[Candidate]:
    """At most ``cap`` distinct posts: top influence, newest, then spread over time."""
    seen: set[str] = set()
    distinct = []
    for post in posts:
        key = fingerprint(post.text)
        if key and key not in seen:
            seen.add(key)
            distinct.append(post)
    if len(distinct) <= cap:
        return sorted(distinct, key=lambda p: (p.created_at, p.id))
    third = cap // 3
    chosen: dict[int, Candidate] = {}
    for post in sorted(distinct, key=lambda p: (-p.influence, p.id))[:third]:
        chosen[post.id] = post
    for post in sorted(distinct, key=lambda p: (p.created_at, p.id), reverse=True):
        if len(chosen) >= 2 * third:
            break
        chosen.setdefault(post.id, post)
    rest = sorted((p for p in distinct if p.id not in chosen), key=lambda p: (p.created_at, p.id))
    need = cap - len(chosen)
    if rest and need > 0:
        step = len(rest) / need
        for k in range(min(need, len(rest))):
            post = rest[int(k * step)]
            chosen[post.id] = post
    return sorted(chosen.values(), key=lambda p: (p.created_at, p.id))


def mmr(vectors: Matrix, relevance: Sequence[float], k: int, lam: float = 0.6) -> list[int]:
    """Indices of ``k`` rows chosen by maximal marginal relevance; rows are unit vectors."""
    n = vectors.shape[0]
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(relevance, dtype=np.float64)
    sims = vectors @ vectors.T
    picked: list[int] = []
    closest = np.full(n, -np.inf)
    for _ in range(min(k, n)):
        redundancy = np.where(np.isfinite(closest), closest, 0.0)
        score = lam * rel - (1.0 - lam) * redundancy
        score[picked] = -np.inf
        best = int(np.argmax(score))
        picked.append(best)
        closest = np.maximum(closest, sims[best])
    return picked


def relevance(vectors: Matrix, influence: Sequence[float]) -> list[float]:
    """Centrality (cosine to the mean vector) plus a smaller share of influence (0–100)."""
    if vectors.shape[0] == 0:
        return []
    centre = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centre)) or 1.0
    central = vectors @ (centre / norm)
    infl = np.asarray(influence, dtype=np.float64) / 100.0
    return [float(v) for v in 0.7 * central + 0.3 * infl]
