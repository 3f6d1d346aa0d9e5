"""The Enricher: every enricher on one post, versions recorded, defined results for any text."""

from __future__ import annotations

import csv

import pytest

from groundswell.enrichment import pipeline
from groundswell.enrichment.base import SENTIMENT_LABELS, Enrichment, Language
from groundswell.enrichment.pipeline import FAILED_SUFFIX, Enricher, PostFacts
from gs_testing import require_data

SUBJECTS = [
    (1, "@united OR united"),
    (2, "@delta OR delta"),
    (3, 'delay* OR "late flight" OR #lateflight'),
    (4, "(lost OR missing) (bag OR bags OR luggage)"),
]


def test_enriches_a_post_end_to_end() -> None:
    enricher = Enricher(subjects=SUBJECTS)
    result = enricher.enrich(
        PostFacts(
            text="@united lost my bags AGAIN and the flight was delayed. Order #12345. Awful!",
            followers=1_200,
            likes=3,
            shares=1,
            verified=False,
            bio="Frequent flyer. jane@example.org",
        )
    )
    assert isinstance(result, Enrichment)
    assert result.language.code == "en"
    assert result.sentiment.label == "negative"
    assert result.subject_ids == (1, 3, 4)
    assert result.entities.orders == ("12345",)
    assert result.entities.emails == ()
    assert result.entities.profile_emails == ("jane@example.org",)
    assert 0 < result.influence < 100
    assert result.intent is None
    assert result.versions == enricher.versions


def test_versions_name_every_enricher() -> None:
    versions = Enricher(subjects=SUBJECTS).versions
    assert set(versions) == {"sentiment", "language", "subjects", "entities", "influence"}
    assert versions["sentiment"].startswith("vader-")
    assert versions["subjects"].startswith("gsq-1:")


def test_set_subjects_replaces_the_subjects_and_their_version() -> None:
    enricher = Enricher(subjects=SUBJECTS)
    before = enricher.versions["subjects"]
    facts = PostFacts(text="flying delta today")
    assert enricher.enrich(facts).subject_ids == (2,)
    enricher.set_subjects([(9, "today"), (10, "broken (")])
    assert enricher.enrich(facts).subject_ids == (9,)
    assert enricher.versions["subjects"] != before
    assert set(enricher.matcher.errors) == {10}


def test_unknown_sentiment_mode_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown sentiment mode"):
        Enricher(sentiment_mode="nope")


NASTY_TEXTS = [
    "",
    " ",
    "\n\n\t",
    "😀🔥💔" * 50,
    "\x00\x01\x02\x1b[31m\x7f",
    "\ud800 lone surrogate",
    "‮ right-to-left override",
    "A" * 100_000,
    "delay " * 50_000,
    "9" * 5_000,
    "1-800-555-0199 " * 2_000,
    "@" * 1_000 + "." * 1_000,
    "order #" * 3_000,
    "飞机晚点了三个小时，太糟糕了",
    "Спасибо за отличный полет",
    "مرحبا، رحلتي تأخرت",
    '((((("""))))) AND OR NOT -',
]


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=range(len(NASTY_TEXTS)))
def test_any_text_has_a_defined_result(text: str) -> None:
    enricher = Enricher(subjects=SUBJECTS)
    result = enricher.enrich(PostFacts(text=text, bio=text))
    assert result.sentiment.label in SENTIMENT_LABELS
    assert -1.0 <= result.sentiment.score <= 1.0
    assert result.language.code is None or len(result.language.code) == 2
    assert 0.0 <= result.influence <= 100.0
    assert list(result.subject_ids) == sorted(result.subject_ids)
    assert not any(v.endswith(FAILED_SUFFIX) for v in result.versions.values())


def test_empty_text_is_neutral_unknown_and_bare() -> None:
    result = Enricher(subjects=SUBJECTS).enrich(PostFacts(text=""))
    assert result.sentiment.label == "neutral"
    assert result.language == Language(code=None, confidence=0.0)
    assert result.entities.as_dict() == {"emails": [], "phones": [], "orders": []}
    assert result.subject_ids == ()
    assert result.influence == 0.0


def test_a_failing_enricher_yields_a_default_and_a_marked_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(text: str) -> Language:
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(pipeline, "detect_language", broken)
    enricher = Enricher(subjects=SUBJECTS)
    result = enricher.enrich(PostFacts(text="@united thanks, great flight"))
    assert result.language == Language(code=None, confidence=0.0)
    assert result.versions["language"] == enricher.versions["language"] + FAILED_SUFFIX
    assert result.sentiment.label == "positive"
    assert result.subject_ids == (1,)


def test_enrich_many_keeps_order_and_matches_enrich() -> None:
    enricher = Enricher(subjects=SUBJECTS)
    batch = [PostFacts(text=t) for t in ("@delta thanks!", "", "lost bag @united", "late flight")]
    results = enricher.enrich_many(batch)
    assert results == [enricher.enrich(f) for f in batch]
    assert [r.subject_ids for r in results] == [(2,), (), (1, 4), (3,)]


def test_airline_tweets_enrich_without_failures() -> None:
    path = require_data("airline", "Tweets.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for _, row in zip(range(2_000), csv.DictReader(handle), strict=False)]
    results = Enricher(subjects=SUBJECTS).enrich_many([PostFacts(text=t) for t in texts])
    assert len(results) == len(texts)
    english = sum(r.language.code == "en" for r in results)
    assert english / len(results) > 0.97
    assert {r.sentiment.label for r in results} == set(SENTIMENT_LABELS)
    assert all(not v.endswith(FAILED_SUFFIX) for r in results for v in r.versions.values())
