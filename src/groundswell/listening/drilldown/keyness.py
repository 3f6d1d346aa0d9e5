"""Emerging terms and phrases: which words a focus window uses far more than its baseline.

Keyness is Dunning's log-likelihood G² (Dunning 1993, "Accurate methods for the
statistics of surprise and coincidence") over the 2×2 table *posts containing the term /
posts not containing it* × *focus / baseline*. Counting posts rather than occurrences
keeps one spammer repeating a word from making it "emerge". G² says how sure we are that
the difference is real; the log ratio (Hardie 2014, base 2, counts smoothed by 0.5 so a
term absent from the baseline has a finite value) says how big it is: 1 is twice as
common, 3 is eight times. A term must pass both thresholds and a minimum count.

Tokens: URLs are dropped; ``#hashtags`` and ``@handles`` are kept whole (a handle is
often the very thing that spikes); words are case-folded, a possessive "'s" is dropped,
contractions stay one token. Phrases are runs of 2–3 words inside one sentence that
neither start nor end with a stop word or a number; hashtags and handles end a run.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from groundswell.listening.drilldown.stopwords import STOP_WORDS

TermKind = Literal["word", "hashtag", "handle", "phrase"]

G2_P05 = 3.84
"""G² critical value for p < 0.05 at one degree of freedom."""
G2_P01 = 6.63
"""G² critical value for p < 0.01."""
MAX_PHRASE = 3

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SENTENCE = re.compile(r"[.!?;:,()\[\]{}\"“”…|/\n]+")
_TOKEN = re.compile(r"(?<![\w'])[#@]\w+|\w+(?:'\w+)*")


def _word_ok(token: str) -> bool:
    """A token that may stand alone or end a phrase: no stop word, number or single letter."""
    return len(token) > 1 and token not in STOP_WORDS and not token.isdigit()


@lru_cache(maxsize=50_000)
def post_terms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The distinct unigram terms and 2–3-word phrases of one post.

    Cached by text: repeated views of a window, and baselines shared between views,
    tokenise each post once.
    """
    text = _URL.sub(" ", text.replace("’", "'").casefold())
    unigrams: set[str] = set()
    phrases: set[str] = set()
    for sentence in _SENTENCE.split(text):
        run: list[str] = []
        for raw in _TOKEN.findall(sentence):
            if raw[0] in "#@":
                if len(raw) > 2:
                    unigrams.add(raw)
                _add_phrases(run, phrases)
                run = []
                continue
            token = raw[:-2] if raw.endswith("'s") else raw
            if _word_ok(token):
                unigrams.add(token)
            run.append(token)
        _add_phrases(run, phrases)
    return frozenset(unigrams), frozenset(phrases)


def _add_phrases(run: list[str], out: set[str]) -> None:
    ok = [_word_ok(t) for t in run]
    for n in range(2, MAX_PHRASE + 1):
        for i in range(len(run) - n + 1):
            last = i + n - 1
            if ok[i] and ok[last] and run[i] != run[last]:
                out.add(" ".join(run[i : last + 1]))


@dataclass
class TermCounts:
    """How many posts of a sample contain each term and phrase."""

    posts: int = 0
    terms: Counter[str] = field(default_factory=Counter)
    phrases: Counter[str] = field(default_factory=Counter)

    def add(self, text: str) -> None:
        unigrams, phrases = post_terms(text)
        self.posts += 1
        self.terms.update(unigrams)
        self.phrases.update(phrases)


def count_terms(texts: Iterable[str]) -> TermCounts:
    counts = TermCounts()
    for text in texts:
        counts.add(text)
    return counts


def _xlogx_over(observed: float, expected: float) -> float:
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def log_likelihood(a: int, b: int, n1: int, n2: int) -> float:
    """Dunning's G² for a term in ``a`` of ``n1`` focus posts and ``b`` of ``n2`` baseline ones."""
    total = n1 + n2
    if total == 0 or n1 == 0 or n2 == 0:
        return 0.0
    with_term = a + b
    without = total - with_term
    cells = (
        (a, n1 * with_term / total),
        (b, n2 * with_term / total),
        (n1 - a, n1 * without / total),
        (n2 - b, n2 * without / total),
    )
    return 2.0 * sum(_xlogx_over(o, e) for o, e in cells if e > 0)


def log_ratio(a: int, b: int, n1: int, n2: int) -> float:
    """log₂ of the focus rate over the baseline rate, both counts smoothed by 0.5."""
    if n1 == 0 or n2 == 0:
        return 0.0
    return math.log2(((a + 0.5) / n1) / ((b + 0.5) / n2))


@dataclass(frozen=True, slots=True)
class KeyTerm:
    term: str
    kind: TermKind
    focus_count: int
    baseline_count: int
    focus_share: float
    """Share of focus posts that contain the term."""
    baseline_share: float
    g2: float
    log_ratio: float


def _kind(term: str) -> TermKind:
    if " " in term:
        return "phrase"
    if term.startswith("#"):
        return "hashtag"
    if term.startswith("@"):
        return "handle"
    return "word"


def _min_count(posts: int) -> int:
    """At least 3 posts (2 in a window of under 30 posts) must use a term."""
    return 2 if posts < 30 else 3


def _rank(
    focus: Counter[str],
    baseline: Counter[str],
    n1: int,
    n2: int,
    *,
    min_count: int,
    min_g2: float,
    min_log_ratio: float,
    exclude: frozenset[str],
) -> list[KeyTerm]:
    out = []
    for term, a in focus.items():
        if a < min_count or term in exclude:
            continue
        b = baseline.get(term, 0)
        ratio = log_ratio(a, b, n1, n2) if n2 else math.inf
        if ratio < min_log_ratio:
            continue
        g2 = log_likelihood(a, b, n1, n2) if n2 else float(a)
        if n2 and g2 < min_g2:
            continue
        out.append(
            KeyTerm(
                term=term,
                kind=_kind(term),
                focus_count=a,
                baseline_count=b,
                focus_share=a / n1,
                baseline_share=b / n2 if n2 else 0.0,
                g2=round(g2, 2),
                log_ratio=round(ratio, 2) if math.isfinite(ratio) else 0.0,
            )
        )
    out.sort(key=lambda k: (-k.g2, -k.focus_count, k.term))
    return out


def _drop_overlapping(phrases: list[KeyTerm]) -> list[KeyTerm]:
    """Keep one of "cancelled flight" / "cancelled flight today" when they count alike."""
    kept: list[KeyTerm] = []
    for p in phrases:
        padded = f" {p.term} "
        if any(
            (padded in f" {k.term} " or f" {k.term} " in padded)
            and min(p.focus_count, k.focus_count) >= 0.75 * max(p.focus_count, k.focus_count)
            for k in kept
        ):
            continue
        kept.append(p)
    return kept


@dataclass(frozen=True, slots=True)
class Emerging:
    terms: list[KeyTerm]
    phrases: list[KeyTerm]


def emerging(
    focus: TermCounts,
    baseline: TermCounts,
    *,
    limit: int = 20,
    min_count: int | None = None,
    min_g2: float = G2_P01,
    min_log_ratio: float = 0.5,
    exclude: Iterable[str] = (),
) -> Emerging:
    """Terms and phrases over-used in ``focus`` against ``baseline``, strongest first.

    With an empty baseline nothing can be compared, so terms are ranked by how many
    focus posts use them (``g2`` then holds that count). ``exclude`` drops terms every
    post is expected to hold, such as a subject's own name.
    """
    n1, n2 = focus.posts, baseline.posts
    if n1 == 0:
        return Emerging(terms=[], phrases=[])
    floor = min_count if min_count is not None else _min_count(n1)
    excluded = frozenset(t.casefold() for t in exclude)

    def rank(f: Counter[str], b: Counter[str]) -> list[KeyTerm]:
        return _rank(
            f,
            b,
            n1,
            n2,
            min_count=floor,
            min_g2=min_g2,
            min_log_ratio=min_log_ratio,
            exclude=excluded,
        )

    terms = rank(focus.terms, baseline.terms)
    phrases = rank(focus.phrases, baseline.phrases)
    return Emerging(terms=terms[:limit], phrases=_drop_overlapping(phrases)[:limit])
