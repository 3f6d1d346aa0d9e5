"""``is_readable`` counts Latin letters directly; the answer is the letter-by-letter one."""

from __future__ import annotations

import random
import re

from groundswell.enrichment import readable
from groundswell.enrichment.readable import is_readable

_NAMES = re.compile(r"(?<!\w)@\w+|https?://\S+|www\.\S+", re.IGNORECASE)
_OLD_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def letter_by_letter(text: str) -> bool:
    letters = re.findall(r"[^\W\d_]", _NAMES.sub(" ", text[:2000]))
    latin = sum(1 for c in letters if _OLD_LATIN.match(c))
    return latin >= 2 and latin >= 0.5 * len(letters)


def test_every_latin_character_counted_is_a_letter() -> None:
    for code in range(0x250):
        c = chr(code)
        if readable._LATIN.match(c):
            assert readable._LETTER.match(c), hex(code)


def test_the_same_answer_as_counting_letter_by_letter() -> None:
    rng = random.Random(11)
    pool = list("abcXYZ éüß×÷ 123 @user http://x.co ") + list("Привет мир こんにちは ١٢٣ 😀")
    texts = ["", "ok", "×÷", "a×b", "Привет, how are you", "@united 😡😡", "x"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    for text in texts:
        assert is_readable(text) == letter_by_letter(text), repr(text)
