"""Keyness: tokens, G², log ratio, thresholds, phrases and stop words."""

from __future__ import annotations

import math

import pytest

from groundswell.listening.drilldown.keyness import (
    count_terms,
    emerging,
    log_likelihood,
    log_ratio,
    post_terms,
)
from groundswell.listening.drilldown.stopwords import STOP_WORDS


def test_tokens_keep_hashtags_and_handles_and_drop_urls_and_stop_words() -> None:
    words, phrases = post_terms(
        "@USAirways Cancelled Flightled!! Delta's hold time: 2 hours #fail https://t.co/abc I don't"
    )
    assert {"@usairways", "#fail", "cancelled", "flightled", "hold", "delta", "hours"} <= words
    assert not words & {"i", "don't", "2", "https", "t", "co", "abc", "delta's"}
    assert "cancelled flightled" in phrases
    assert "hold time" in phrases
    assert not any("http" in p or "don't" in p for p in phrases)


def test_phrases_stay_inside_sentences_and_never_end_on_stop_words() -> None:
    _, phrases = post_terms("My flight was cancelled. Rebook me now")
    assert "cancelled rebook" not in phrases
    assert "flight was cancelled" in phrases
    assert not any(p.split()[0] in STOP_WORDS or p.split()[-1] in STOP_WORDS for p in phrases)


def test_a_post_counts_a_term_once() -> None:
    counts = count_terms(["refund refund refund", "refund please"])
    assert counts.posts == 2
    assert counts.terms["refund"] == 2


def test_log_likelihood_matches_the_worked_value() -> None:
    # 2x2 table [[10, 90], [10, 990]]: G² from the textbook formula, computed by hand.
    cells = [(10, 100 * 20 / 1100), (10, 1000 * 20 / 1100), (90, 100 * 1080 / 1100)]
    cells.append((990, 1000 * 1080 / 1100))
    expected = 2 * sum(o * math.log(o / e) for o, e in cells)
    assert log_likelihood(10, 10, 100, 1000) == pytest.approx(expected)
    assert log_likelihood(5, 50, 100, 1000) == pytest.approx(0.0)


def test_log_ratio_is_smoothed_and_symmetric() -> None:
    assert log_ratio(20, 10, 100, 100) == pytest.approx(math.log2(20.5 / 10.5))
    assert math.isfinite(log_ratio(7, 0, 100, 1000))
    assert log_ratio(10, 20, 100, 100) < 0


def test_emerging_finds_the_new_words_and_not_the_usual_ones() -> None:
    usual = [f"@acme my order {i} arrived, thanks for the help" for i in range(300)]
    focus = [f"@acme app outage again, cannot log in #acmedown {i}" for i in range(30)]
    focus += ["@acme order arrived thanks"] * 10
    result = emerging(count_terms(focus), count_terms(usual))
    words = [k.term for k in result.terms]
    assert {"outage", "#acmedown", "log"} <= set(words)
    assert "thanks" not in words and "@acme" not in words and "order" not in words
    assert not set(words) & STOP_WORDS
    assert result.terms[0].g2 >= result.terms[-1].g2
    assert all(k.g2 >= 6.63 and k.log_ratio >= 0.5 for k in result.terms)
    assert "app outage" in [p.term for p in result.phrases]


def test_minimum_count_and_exclusions() -> None:
    usual = ["nothing much happening today"] * 100
    focus = ["rare word zzyzx"] + ["refund please"] * 10
    result = emerging(count_terms(focus), count_terms(usual), exclude=["please"])
    words = [k.term for k in result.terms]
    assert "zzyzx" not in words  # one post is not a trend
    assert "refund" in words and "please" not in words


def test_overlapping_phrases_keep_one() -> None:
    focus = ["total lost luggage mess"] * 8
    usual = ["fine flight"] * 200
    phrases = [p.term for p in emerging(count_terms(focus), count_terms(usual)).phrases]
    assert len([p for p in phrases if "lost luggage" in p]) == 1


def test_empty_windows() -> None:
    empty = count_terms([])
    assert emerging(empty, count_terms(["a b c"])).terms == []
    only_focus = emerging(count_terms(["refund now"] * 3), empty)
    assert [k.term for k in only_focus.terms] == ["refund"]
