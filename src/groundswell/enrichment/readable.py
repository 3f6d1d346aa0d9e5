"""Whether a post gives a text model anything to read, and bounds on what it may cost.

The sentiment model and VADER were built on English words. A post of only emoji the model
has no word for, of symbols, or in another script gives them nothing to go on, yet both
still return a label; without a flag that label reads as a confident "neutral". Such posts
are flagged ``unreadable`` and given a neutral result with no confidence claimed beyond
chance, so thresholds and rollups can leave them out.
"""

from __future__ import annotations

import re

UNREADABLE = "unreadable"

MIN_LATIN_LETTERS = 2
"""Fewer Latin letters than this (after handles and links go) is not English text."""

MIN_LATIN_SHARE = 0.5
"""Below this share of Latin among the letters, the post is mostly in another script."""

MAX_EMOJI = 32
"""Emoji kept per post: past a few dozen, more of the same says nothing new, and VADER's
cost grows with the square of the words its emoji descriptions add."""

_NAMES = re.compile(r"(?<!\w)@\w+|https?://\S+|www\.\S+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
"""Latin letters: every character here is also a ``_LETTER`` (× and ÷ are left out)."""
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d]", re.UNICODE
)


def is_readable(text: str, *, limit: int = 2_000) -> bool:
    """Whether ``text`` (its first ``limit`` characters) has enough Latin-script words."""
    words = _NAMES.sub(" ", text[:limit])
    latin = len(_LATIN.findall(words))
    if latin < MIN_LATIN_LETTERS:
        return False
    return latin >= MIN_LATIN_SHARE * len(_LETTER.findall(words))


def cap_emoji(text: str, limit: int = MAX_EMOJI) -> str:
    """``text`` with every emoji after the first ``limit`` removed (linear in its length)."""
    seen = 0

    def keep(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= limit else ""

    return _EMOJI.sub(keep, text)
