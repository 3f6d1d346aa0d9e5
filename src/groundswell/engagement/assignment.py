"""Choosing an agent for a case: round robin or least loaded, within the rules.

An agent is eligible when present (not away), under capacity, has every skill the case
needs and speaks its language (when the case has one and the agent lists languages).
Pure: the service passes the candidates with their current load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Strategy = Literal["round_robin", "least_loaded"]


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: int
    load: int
    capacity: int
    away: bool = False
    skills: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)


def eligible(c: Candidate, *, skills: frozenset[str], language: str | None) -> bool:
    if c.away or c.load >= c.capacity:
        return False
    if not skills <= c.skills:
        return False
    return not (language and c.languages and language not in c.languages)


def choose(
    candidates: Sequence[Candidate],
    *,
    strategy: Strategy,
    skills: frozenset[str] = frozenset(),
    language: str | None = None,
    last_assigned: int | None = None,
) -> int | None:
    """The user id to assign, or None when nobody can take the case now."""
    ok = [c for c in candidates if eligible(c, skills=skills, language=language)]
    if not ok:
        return None
    if strategy == "least_loaded":
        return min(ok, key=lambda c: (c.load / max(c.capacity, 1), c.load, c.user_id)).user_id
    ordered = sorted(ok, key=lambda c: c.user_id)
    if last_assigned is None:
        return ordered[0].user_id
    for c in ordered:
        if c.user_id > last_assigned:
            return c.user_id
    return ordered[0].user_id
