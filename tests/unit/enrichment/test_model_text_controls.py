"""The model's control-character pass: its fast paths give what the full pass gives."""

from __future__ import annotations

import random
import unicodedata

from groundswell.enrichment.model.text import _drop_controls, normalize


def reference(text: str) -> str:
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c != "\u200d" else c
        for c in text
    )


SAMPLES = [
    "plain words",
    "line one\nline two\ttab\r",
    "bell \x07 and del \x7f and nul \x00",
    "c1 control \x85 next line",
    "zero width space\u200b and joiner 👨\u200d👩\u200d👧",
    "bidi \u2066isolate\u2069 marks \u200e",
    "no-break\u00a0space and ideographic\u3000space",
    "private use \ue000 and \U000f0000",
    "lone surrogate \ud800 half",
    "line separator\u2028paragraph\u2029",
    "unassigned \U000e0080 code point",
    "",
]


def test_the_fast_paths_match_the_full_pass() -> None:
    for text in SAMPLES:
        assert _drop_controls(text) == reference(text), repr(text)


def test_random_texts_from_every_category_match_the_full_pass() -> None:
    rng = random.Random(7)
    pool = [chr(c) for c in range(0, 0x3000)] + ["\u200d", "\ue000", "\ud800", "😀", " "] * 50
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        assert _drop_controls(text) == reference(text), repr(text)


def test_normalize_turns_line_breaks_into_single_spaces() -> None:
    assert normalize("delayed\n\nagain\tand again") == "delayed again and again"
