"""VADER's compound score, computed with each word lower-cased once.

The ``vaderSentiment`` package re-lower-cases every word of the text in each of its
checks: three negation checks and an idiom check per sentiment word, so a post's cost
grows with (sentiment words × words), and it walks the text character by character for
emoji even when there are none. Half of lexicon-mode enrichment went there. This
subclass keeps the package's lexicon, constants, rules and arithmetic (in the same order,
so every score is bit for bit the package's: ``tests/unit/enrichment/test_vader_fast.py``
checks it on generated texts and on the demo's posts) and only changes the bookkeeping:
one lower-cased copy of the words per text, a set lookup for negation words, and a
C-level check that skips the emoji walk when no emoji is present. Why not a different
library: docs/adr/0014-vader-scoring-once-per-word.md.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    scalar_inc_dec,
)

_NEGATE = frozenset(NEGATE)


def _negated(word_lower: str) -> bool:
    """The package's ``negated([word])`` for one lower-cased word."""
    return word_lower in _NEGATE or "n't" in word_lower


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    """The package's ``_negation_check`` on the lower-cased words."""
    if start_i == 0 and _negated(lower[i - 1]):
        valence = valence * N_SCALAR
    if start_i == 1:
        if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence = valence * N_SCALAR
    if start_i == 2:
        if (lower[i - 3] == "never" and (lower[i - 2] == "so" or lower[i - 2] == "this")) or (
            lower[i - 1] == "so" or lower[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    """The package's ``_special_idioms_check`` on the lower-cased words.

    Negative indexes wrap around exactly as the package's do (it is only called with
    ``i > 2``, but the n-grams are built the same way).
    """
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence


def _least_check(valence: float, lower: list[str], i: int, lexicon: dict[str, float]) -> float:
    """The package's ``_least_check`` on the lower-cased words."""
    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] != "at" and lower[i - 2] != "very":
            valence = valence * N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence = valence * N_SCALAR
    return valence


class FastVader(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """``SentimentIntensityAnalyzer`` with the same scores and less repeated work."""

    def __init__(self) -> None:
        super().__init__()
        # The package compares one character at a time, so only one-character keys count.
        self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)

    def _without_emoji(self, text: str) -> str:
        if self._emoji_chars.isdisjoint(text):
            return text
        parts: list[str] = []
        prev_space = True
        for ch in text:
            description = self.emojis.get(ch) if ch in self._emoji_chars else None
            if description is not None:
                if not prev_space:
                    parts.append(" ")
                parts.append(description)
                prev_space = False
            else:
                parts.append(ch)
                prev_space = ch == " "
        return "".join(parts)

    def polarity_scores(self, text: str) -> dict[str, float]:
        text = self._without_emoji(text).strip()
        sentitext = SentiText(text)
        words: list[str] = sentitext.words_and_emoticons
        lower = [w.lower() for w in words]
        is_cap_diff: bool = sentitext.is_cap_diff
        lexicon: dict[str, float] = self.lexicon
        last = len(words) - 1
        sentiments: list[float] = []
        for i, item in enumerate(words):
            item_lower = lower[i]
            if item_lower in BOOSTER_DICT:
                sentiments.append(0)
                continue
            if i < last and item_lower == "kind" and lower[i + 1] == "of":
                sentiments.append(0)
                continue
            valence: float = 0
            if item_lower in lexicon:
                valence = lexicon[item_lower]
                if item_lower == "no" and i != last and lower[i + 1] in lexicon:
                    valence = 0.0
                if (
                    (i > 0 and lower[i - 1] == "no")
                    or (i > 1 and lower[i - 2] == "no")
                    or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))
                ):
                    valence = lexicon[item_lower] * N_SCALAR
                if item.isupper() and is_cap_diff:
                    if valence > 0:
                        valence += C_INCR
                    else:
                        valence -= C_INCR
                for start_i in range(0, 3):
                    if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                        s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                        if start_i == 1 and s != 0:
                            s = s * 0.95
                        if start_i == 2 and s != 0:
                            s = s * 0.9
                        valence = valence + s
                        valence = _negation_check(valence, lower, start_i, i)
                        if start_i == 2:
                            valence = _special_idioms_check(valence, lower, i)
                valence = _least_check(valence, lower, i, lexicon)
            sentiments.append(valence)
        sentiments = self._but_check(words, sentiments)
        scores: dict[str, float] = self.score_valence(sentiments, text)
        return scores
