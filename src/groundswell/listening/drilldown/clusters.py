"""Groups of similar posts: average-linkage agglomerative clustering on cosine similarity.

Start with every post alone; repeatedly merge the two groups whose posts are most
similar on average (the Lance–Williams update keeps this O(n²) per merge on an n×n
matrix, fine for the ≤200 candidates a drill-down embeds); stop when no pair of groups
is at least ``threshold`` similar. Unlike k-means this needs no k and leaves odd posts
alone instead of forcing them into a group. Thresholds differ by vector kind: sentence
embeddings of posts about the same thing sit around 0.5–0.7 cosine, sparse term vectors
much lower.

Each group is labelled by its own emerging terms (keyness against the other candidates)
and shown through the posts closest to its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from groundswell.listening.drilldown.keyness import TermCounts, count_terms, emerging
from groundswell.listening.drilldown.vectors import Matrix, VectorMethod

THRESHOLDS: dict[VectorMethod, float] = {"embeddings": 0.5, "terms": 0.2}


def agglomerate(vectors: Matrix, threshold: float) -> list[list[int]]:
    """Row indices grouped by average linkage, biggest group first."""
    n = vectors.shape[0]
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    for _ in range(n - 1):
        flat = int(np.argmax(sim))
        a, b = divmod(flat, n)
        if sim[a, b] < threshold:
            break
        # Lance–Williams for average linkage: size-weighted mean of the two rows.
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a, :] = merged
        sim[:, a] = merged
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        sizes[a] += sizes[b]
        members[a].extend(members[b])
        members[b] = []
        alive[b] = False
    groups = [sorted(members[i]) for i in range(n) if alive[i]]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


@dataclass(frozen=True, slots=True)
class Group:
    members: list[int]
    """Row indices into the candidates, closest to the group's centre first."""
    terms: list[str]


def describe(
    texts: Sequence[str],
    vectors: Matrix,
    method: VectorMethod,
    *,
    min_size: int = 3,
    max_groups: int = 6,
) -> list[Group]:
    """The biggest groups (at least ``min_size`` posts) with their top terms."""
    out: list[Group] = []
    for members in agglomerate(vectors, THRESHOLDS[method]):
        if len(members) < min_size or len(out) >= max_groups:
            break
        rows = vectors[members]
        centre = rows.mean(axis=0)
        order = np.argsort(-(rows @ centre), kind="stable")
        inside = set(members)
        own = count_terms(texts[i] for i in members)
        rest = count_terms(texts[i] for i in range(len(texts)) if i not in inside)
        out.append(Group(members=[members[int(k)] for k in order], terms=_label(own, rest)))
    return out


def _label(own: TermCounts, rest: TermCounts) -> list[str]:
    key = emerging(own, rest, limit=5, min_count=2, min_g2=0.0, min_log_ratio=0.3)
    words = [t.term for t in key.terms[:4]]
    phrases = [p.term for p in key.phrases[:2]]
    return phrases + [w for w in words if not any(w in p.split() for p in phrases)][:4]
