"""The identity matcher's model: one contact's evidence, blocking keys, Fellegi-Sunter scores.

Pure (no database). A pair of contacts is compared field by field; each field lands on an
agreement level whose weight is ``log2(m / u)`` — m the chance of that level for the same
person, u for two different people — the model Splink fits (docs/adr/0011-identity-
matching.md). The weights are summed with the prior and turned into a probability, and
every field's level and weight is kept as the evidence a reviewer sees.

The m and u values below are priors set from the FEBRL runs and from how handles are made;
they are deliberately conservative: no single field on its own carries a pair over the
automatic-merge threshold (0.99 by default).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import JaroWinkler

PRIOR_MATCH = 1 / 2000
"""Chance that two contacts sharing a blocking key are one person before any evidence."""

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_URL_HANDLE = re.compile(r"(?:^|/)@?([A-Za-z0-9_.]{2,60})/?$")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case ASCII letters, digits and single spaces: 'Jöhn  O'Neil' → 'john o neil'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NON_ALNUM.sub(" ", ascii_text.lower()).split())


def squash(text: str) -> str:
    """Letters and digits only: '@Jane_Doe' and 'jane.doe' both become 'janedoe'."""
    return fold(text).replace(" ", "")


def url_key(url: str) -> str:
    """Host and path without scheme, 'www.', query or trailing slash, lower-cased."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z]+://", "", url).split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return url.removeprefix("www.")


@dataclass
class Profile:
    """Everything the matcher knows about one contact, normalised."""

    contact_id: int
    names: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    """Squashed handles (``janedoe``), from every identity."""
    email_locals: set[str] = field(default_factory=set)
    """Squashed local parts of the contact's email keys (``jane.doe@…`` → ``janedoe``)."""
    emails: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    """The contact's own profile URLs (url_key form)."""
    mentioned_urls: set[str] = field(default_factory=set)
    """URLs in the contact's bios and profile fields that may point at another profile."""
    locations: set[str] = field(default_factory=set)
    timezones: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    threads: set[int] = field(default_factory=set)


def profile_of(
    contact_id: int,
    *,
    names: Iterable[str | None] = (),
    handles: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
    platforms: Iterable[str] = (),
    urls: Iterable[str | None] = (),
    bios: Iterable[str | None] = (),
    locations: Iterable[str | None] = (),
    timezones: Iterable[str | None] = (),
    languages: Iterable[str | None] = (),
    threads: Iterable[int] = (),
) -> Profile:
    p = Profile(contact_id=contact_id)
    p.names = {f for n in names if n and len(f := fold(n)) >= 2}
    for h in handles:
        if not h:
            continue
        local = h.lstrip("@").split("@", 1)[0]  # jane@mastodon.social → jane
        if len(s := squash(local)) >= 3:
            p.handles.add(s)
    for e in emails:
        if e and "@" in e:
            p.emails.add(e.lower())
            if len(s := squash(e.split("@", 1)[0])) >= 3:
                p.email_locals.add(s)
    p.platforms = set(platforms)
    p.urls = {url_key(u) for u in urls if u}
    for bio in bios:
        if bio:
            p.mentioned_urls.update(url_key(u) for u in _URL_IN_TEXT.findall(bio))
    p.locations = {f for x in locations if x and (f := fold(x))}
    p.timezones = {x.strip().lower() for x in timezones if x and x.strip()}
    p.languages = {x.strip().lower() for x in languages if x and x.strip()}
    p.threads = set(threads)
    return p


def blocking_keys(p: Profile) -> set[str]:
    """Cheap keys: two contacts are compared only when they share one.

    Full folded name, first + last name squashed, and squashed handles and email local
    parts in one namespace (so ``@janedoe`` meets ``jane.doe@example.com``), plus the
    handle at the end of each profile URL (``mastodon.social/@jdoe`` → ``jdoe``).
    """
    keys: set[str] = set()
    for name in p.names:
        keys.add(f"n:{name}")
        parts = name.split()
        if len(parts) >= 2:
            keys.add(f"h:{parts[0]}{parts[-1]}")
    for h in p.handles | p.email_locals:
        keys.add(f"h:{h}")
    for u in p.urls | p.mentioned_urls:
        if (m := _URL_HANDLE.search(u)) and len(s := squash(m.group(1))) >= 3:
            keys.add(f"h:{s}")
    return keys


@dataclass(frozen=True)
class Level:
    label: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


def _best_jw(left: set[str], right: set[str]) -> float:
    return max((JaroWinkler.similarity(a, b) for a in left for b in right), default=0.0)


NAME_LEVELS = (
    Level("exact", 0.70, 0.0005),
    Level("jaro-winkler ≥ 0.92", 0.20, 0.003),
    Level("jaro-winkler ≥ 0.80", 0.07, 0.03),
    Level("different", 0.03, 0.9665),
)
HANDLE_LEVELS = (
    Level("handle or email local part equal", 0.40, 0.0002),
    Level("jaro-winkler ≥ 0.92", 0.15, 0.002),
    Level("one contains the other, or jaro-winkler ≥ 0.80", 0.15, 0.02),
    Level("different", 0.30, 0.978),
)
LINK_LEVELS = (
    Level("a profile links to the other", 0.30, 0.00001),
    Level("no link", 0.70, 0.99999),
)
SET_LEVELS = (
    Level("shared", 0.80, 0.25),
    Level("different", 0.20, 0.75),
)
THREAD_LEVELS = (
    Level("same conversation", 0.30, 0.01),
    Level("no shared conversation", 0.70, 0.99),
)


def _compare_names(a: Profile, b: Profile) -> tuple[Level | None, str]:
    if not a.names or not b.names:
        return None, "missing"
    if a.names & b.names:
        return NAME_LEVELS[0], sorted(a.names & b.names)[0]
    sim = _best_jw(a.names, b.names)
    level = NAME_LEVELS[1] if sim >= 0.92 else NAME_LEVELS[2] if sim >= 0.80 else NAME_LEVELS[3]
    return level, f"{sim:.2f}"


def _compare_handles(a: Profile, b: Profile) -> tuple[Level | None, str]:
    left, right = a.handles | a.email_locals, b.handles | b.email_locals
    if not left or not right:
        return None, "missing"
    if shared := left & right:
        return HANDLE_LEVELS[0], sorted(shared)[0]
    sim = _best_jw(left, right)
    if sim >= 0.92:
        return HANDLE_LEVELS[1], f"{sim:.2f}"
    contained = [
        f"{x} / {y}"
        for x in sorted(left)
        for y in sorted(right)
        if min(len(x), len(y)) >= 4 and (x in y or y in x)
    ]
    if contained:
        return HANDLE_LEVELS[2], contained[0]
    if sim >= 0.80:
        return HANDLE_LEVELS[2], f"{sim:.2f}"
    return HANDLE_LEVELS[3], f"{sim:.2f}"


def _compare_links(a: Profile, b: Profile) -> tuple[Level | None, str]:
    if not (a.urls or b.urls):
        return None, "missing"
    hits = (a.mentioned_urls & b.urls) | (b.mentioned_urls & a.urls) | (a.urls & b.urls)
    if hits:
        return LINK_LEVELS[0], sorted(hits)[0]
    return LINK_LEVELS[1], ""


def _compare_sets(left: set[str], right: set[str]) -> tuple[Level | None, str]:
    if not left or not right:
        return None, "missing"
    shared = left & right
    return (SET_LEVELS[0], sorted(shared)[0]) if shared else (SET_LEVELS[1], "")


def _compare_threads(a: Profile, b: Profile) -> tuple[Level | None, str]:
    if not a.threads or not b.threads:
        return None, "missing"
    shared = a.threads & b.threads
    return (THREAD_LEVELS[0], f"#{min(shared)}") if shared else (THREAD_LEVELS[1], "")


def score(a: Profile, b: Profile) -> tuple[float, list[dict[str, Any]]]:
    """Match probability and the evidence: one entry per field that both sides have."""
    comparisons = (
        ("name", _compare_names(a, b)),
        ("handle / email", _compare_handles(a, b)),
        ("profile link", _compare_links(a, b)),
        ("location", _compare_sets(a.locations, b.locations)),
        ("time zone", _compare_sets(a.timezones, b.timezones)),
        ("language", _compare_sets(a.languages, b.languages)),
        ("conversation", _compare_threads(a, b)),
    )
    total = math.log2(PRIOR_MATCH / (1 - PRIOR_MATCH))
    evidence: list[dict[str, Any]] = []
    for name, (level, detail) in comparisons:
        if level is None:
            continue
        total += level.weight
        evidence.append(
            {
                "field": name,
                "level": level.label,
                "detail": detail,
                "weight": round(level.weight, 2),
                "agrees": level.weight > 0,
            }
        )
    probability = 1.0 / (1.0 + 2.0 ** (-total))
    return probability, evidence
