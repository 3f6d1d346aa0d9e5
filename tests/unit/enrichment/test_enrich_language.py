"""Language detection: offline lite model, noise stripped, too-little-text is unknown."""

from __future__ import annotations

import pytest

from groundswell.enrichment.base import Language
from groundswell.enrichment.language import (
    LANGUAGE_VERSION,
    clean_for_detection,
    detect_language,
    iso_639_1,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("@united thanks for getting me home on time, great crew! http://t.co/abc", "en"),
        ("@Iberia Hola, el vuelo llegó tarde otra vez y nadie nos ayudó. Qué desastre", "es"),
        ("@airfrance Mon vol a été annulé et je suis vraiment déçu du service", "fr"),
        ("@lufthansa Mein Flug wurde gestrichen und niemand am Schalter hilft mir", "de"),
        ("THANK YOU SO MUCH FOR THE UPGRADE", "en"),
        ("@united thank you!", "en"),
    ],
)
def test_detects_language_of_posts(text: str, code: str) -> None:
    result = detect_language(text)
    assert result.code == code
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ok",
        "😀😀😀🔥",
        "@united @delta",
        "#fail #neveragain",
        "https://t.co/abc http://example.com/x?y=z",
        "12345 678 !!! ???",
        "\x00\x01\x02",
    ],
)
def test_too_little_text_is_unknown(text: str) -> None:
    assert detect_language(text) == Language(code=None, confidence=0.0)


def test_newlines_and_control_characters_do_not_break_detection() -> None:
    result = detect_language("Thank you\nfor the\r\nlovely\tflight\x0bhome\u2028today")
    assert result.code == "en"


def test_cleaning_removes_names_links_and_symbols_and_keeps_one_line() -> None:
    cleaned = clean_for_detection("@Delta loved it!\n#travel https://t.co/x me@x.com 10:30 😀")
    assert cleaned == "loved it"
    assert clean_for_detection("THANK YOU") == "thank you"


def test_very_long_text_is_detected_on_a_bounded_prefix() -> None:
    assert detect_language("the flight was fine " * 10_000).code == "en"


def test_labels_without_a_two_letter_code() -> None:
    assert iso_639_1("en") == "en"
    assert iso_639_1("arz") == "ar"
    assert iso_639_1("ceb") is None


def test_version_names_the_lite_model() -> None:
    assert "lite" in LANGUAGE_VERSION


@pytest.mark.parametrize(
    "text",
    [
        "we need an ETA please",
        "WHAT THE HECK?!",
        "@united DM sent",
        "@united you guys suck!",
        "@united go to hell",
        "@VirginAmerica it’s just a bug report, guys",
    ],
)
def test_short_english_posts_fasttext_alone_got_wrong(text: str) -> None:
    assert detect_language(text).code == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Por favor, me respondam no privado", "pt"),
        ("De trein is weer te laat vandaag", "nl"),
        ("Gracias por la ayuda", "es"),
        ("Merci beaucoup", "fr"),
        ("Danke schön", "de"),
    ],
)
def test_short_posts_in_other_latin_languages_stay_themselves(text: str, code: str) -> None:
    result = detect_language(text)
    assert result.code == code
    assert 0.5 <= result.confidence <= 1.0


@pytest.mark.parametrize("lang", ["en", "fr", "nb"])
def test_common_words_are_the_commonest_of_the_frequency_list(lang: str) -> None:
    # Read from wordfreq's buckets without a sort: the same words and Zipf values as
    # ranking the whole frequency dictionary, as the word check was first written.
    import math

    from wordfreq import get_frequency_dict

    from groundswell.enrichment.language import WORDS_PER_LANGUAGE, _common_words

    freqs = get_frequency_dict(lang, wordlist="small")
    ranked = sorted(freqs.items(), key=lambda kv: -kv[1])[:WORDS_PER_LANGUAGE]
    expected = {word: math.log10(freq * 1e9) for word, freq in ranked}
    assert _common_words(lang) == expected
    assert len(expected) == WORDS_PER_LANGUAGE


def test_the_word_check_memo_is_bounded_and_answers_the_same_after_a_reset() -> None:
    from groundswell.enrichment.language import _WordTable

    table = _WordTable(({"the": 7.5, "de": 5.0}, {"de": 7.7}))
    table.MEMO_LIMIT = 2
    assert table.pairs("de") == ((0, 5.0), (1, 7.7))
    assert table.pairs("the") == ((0, 7.5),)
    assert table.pairs("zzz") == ()
    assert len(table.memo) == 1
    assert table.pairs("de") == ((0, 5.0), (1, 7.7))
