"""Samples (candidates, MMR), clusters, vectors with a fake encoder, and the summary."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundswell.crm.schemas import SubjectRef
from groundswell.listening.drilldown.clusters import agglomerate, describe
from groundswell.listening.drilldown.samples import (
    Candidate,
    fingerprint,
    mmr,
    pick_candidates,
    relevance,
)
from groundswell.listening.drilldown.schemas import (
    AuthorRead,
    DrilldownRead,
    KeyTermRead,
    MixRead,
    SamplingRead,
    VolumeRead,
    WindowRead,
)
from groundswell.listening.drilldown.summary import summarise
from groundswell.listening.drilldown.vectors import (
    EmbeddingCache,
    Matrix,
    term_vectors,
    vectors_for,
)

T0 = datetime(2015, 2, 22, 14, 0, tzinfo=UTC)


def fake_embed(texts: Sequence[str]) -> Matrix:
    """Deterministic stand-in for the sentence encoder: hashed bag of words, unit length."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, zlib.crc32(word.encode()) % 64] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return out / norms


TEXTS = [
    "flight cancelled again no rebooking",
    "my flight cancelled and no rebooking offered",
    "cancelled flight rebooking impossible",
    "lost bag at the airport nobody helps",
    "lost my bag again at the airport",
    "bag lost airport desk closed",
    "great crew today thanks",
]


def test_fingerprint_collapses_retweets_and_links() -> None:
    assert fingerprint("RT @bob: Flight CANCELLED! https://t.co/x") == fingerprint(
        "flight cancelled"
    )


def test_candidates_are_distinct_bounded_and_cover_influence_and_recency() -> None:
    posts = [
        Candidate(i, f"post number {i}", T0 + timedelta(minutes=i), float(i % 7))
        for i in range(1000)
    ]
    posts += [Candidate(5000 + i, "same text", T0, 0.0) for i in range(50)]
    picked = pick_candidates(posts, cap=90)
    assert len(picked) == 90
    assert len({fingerprint(p.text) for p in picked}) == 90
    ids = {p.id for p in picked}
    assert 999 in ids  # newest
    assert any(p.influence == 6.0 for p in picked)
    assert min(p.created_at for p in picked) < T0 + timedelta(minutes=100)  # spread in time


def test_mmr_prefers_relevant_posts_but_not_repeats() -> None:
    vectors = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0.8, 0.6, 0]], dtype=np.float32)
    picks = mmr(vectors, [1.0, 1.0, 0.6, 0.9], k=2)
    assert picks[0] in (0, 1)
    assert picks[1] == 2  # the duplicate and the near-duplicate lose to a different post
    assert mmr(vectors, [1.0, 1.0, 0.6, 0.9], k=2, lam=1.0) == [0, 1]


def test_relevance_rewards_central_posts() -> None:
    vectors = fake_embed(TEXTS)
    scores = relevance(vectors, [0.0] * len(TEXTS))
    assert scores.index(min(scores)) == 6


def test_agglomerate_groups_similar_posts() -> None:
    groups = agglomerate(fake_embed(TEXTS), threshold=0.3)
    as_sets = [set(g) for g in groups]
    assert {0, 1, 2} in as_sets
    assert {3, 4, 5} in as_sets
    assert {6} in as_sets


def test_describe_labels_groups_with_their_own_words() -> None:
    groups = describe(TEXTS, fake_embed(TEXTS), "embeddings", min_size=3)
    assert len(groups) == 2
    labels = {frozenset(g.members): " ".join(g.terms) for g in groups}
    assert (
        "cancelled" in labels[frozenset({0, 1, 2})] or "rebooking" in labels[frozenset({0, 1, 2})]
    )
    assert "bag" in labels[frozenset({3, 4, 5})] or "airport" in labels[frozenset({3, 4, 5})]


def test_term_vectors_are_unit_length_and_group_like_texts() -> None:
    vectors = term_vectors(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[6])


def test_vectors_are_cached_per_interaction() -> None:
    calls: list[int] = []

    def counting(texts: Sequence[str]) -> Matrix:
        calls.append(len(texts))
        return fake_embed(texts)

    cache = EmbeddingCache(capacity=100)
    first = vectors_for([1, 2, 3], TEXTS[:3], embedder=counting, cache=cache)
    again = vectors_for([1, 2, 3, 4], TEXTS[:4], embedder=counting, cache=cache)
    assert first.method == again.method == "embeddings"
    assert calls == [3, 1]
    assert np.allclose(first.matrix, again.matrix[:3])


def test_cache_evicts_least_recently_used() -> None:
    cache = EmbeddingCache(capacity=2)
    cache.put_many([1, 2], fake_embed(["a", "b"]))
    cache.get_many([1])
    cache.put_many([3], fake_embed(["c"]))
    assert set(cache.get_many([1, 2, 3])) == {1, 3}


def test_missing_failing_or_slow_encoder_falls_back_to_terms() -> None:
    missing = vectors_for([1], ["x"], embedder=None, cache=EmbeddingCache())
    assert missing.method == "terms" and missing.note

    def broken(texts: Sequence[str]) -> Matrix:
        raise RuntimeError("model file missing")

    failed = vectors_for([1], ["x"], embedder=broken, cache=EmbeddingCache())
    assert failed.method == "terms" and "failed" in (failed.note or "")

    release = threading.Event()

    def slow(texts: Sequence[str]) -> Matrix:
        release.wait(5)
        return fake_embed(texts)

    cache = EmbeddingCache()
    late = vectors_for([7, 8], ["a b", "c d"], embedder=slow, cache=cache, timeout=0.05)
    assert late.method == "terms" and "too long" in (late.note or "")
    release.set()
    # The slow call finishes in the background and fills the cache for the next view.
    for _ in range(100):
        if len(cache) == 2:
            break
        threading.Event().wait(0.05)
    assert vectors_for([7, 8], ["a b", "c d"], embedder=slow, cache=cache).method == "embeddings"


def _facts(**changes: object) -> DrilldownRead:
    base = DrilldownRead(
        subject=SubjectRef(id=1, name="Delta"),
        channel=None,
        volume=VolumeRead(
            focus=WindowRead(
                start=T0 + timedelta(minutes=2),
                end=T0 + timedelta(minutes=20),
                posts=94,
                per_hour=313,
            ),
            baseline=WindowRead(start=T0 - timedelta(days=1), end=T0, posts=1440, per_hour=60),
            ratio=5.2,
        ),
        sampling=SamplingRead(
            focus_read=94, focus_complete=True, baseline_read=1440, candidates=94
        ),
        summary="",
        terms=[
            KeyTermRead(
                term=t,
                kind="word",
                focus_count=30,
                baseline_count=3,
                focus_share=0.3,
                baseline_share=0.01,
                g2=80.0,
                log_ratio=4.0,
            )
            for t in ("rebook", "cancelled", "hold")
        ],
        phrases=[
            KeyTermRead(
                term="cancelled flight",
                kind="phrase",
                focus_count=20,
                baseline_count=1,
                focus_share=0.2,
                baseline_share=0.001,
                g2=90.0,
                log_ratio=5.0,
            )
        ],
        sentiment=[
            MixRead(key="negative", label="negative", count=73, share=0.78),
            MixRead(key="neutral", label="neutral", count=21, share=0.22),
        ],
        channels=[MixRead(key="twitter", label="twitter", count=94, share=1.0)],
        authors=[
            AuthorRead(
                identity_id=9,
                handle="@x",
                display_name=None,
                platform="twitter",
                followers=12_000,
                verified=False,
                contact_id=3,
                posts=2,
                influence=41.0,
            )
        ],
        samples=[],
        clusters=[],
        cluster_method="terms",
        cooccurring=[],
    )
    return base.model_copy(update=changes)


def test_summary_says_what_the_facts_say() -> None:
    text = summarise(_facts())
    assert text.startswith("Talk about Delta rose to 5.2× its usual level between 14:02 and 14:20")
    assert "78% negative" in text
    assert "“cancelled flight”" in text and "“rebook”" in text and "“hold”" in text
    assert "“cancelled”" not in text  # already said by the phrase
    assert "most posts come from twitter" in text.lower()
    assert "@x (12k followers, 2 posts)" in text


@pytest.mark.parametrize(
    ("ratio", "phrase"),
    [
        (None, "none in the baseline"),
        (1.0, "stayed near its usual level"),
        (0.3, "fell to 0.3× its usual level"),
        (0.02, "fell to 2% of its usual level"),
        (0.004, "fell below 1% of its usual level"),
    ],
)
def test_summary_volume_wording(ratio: float | None, phrase: str) -> None:
    facts = _facts()
    volume = facts.volume.model_copy(update={"ratio": ratio})
    assert phrase in summarise(facts.model_copy(update={"volume": volume}))


def test_summary_of_an_empty_window() -> None:
    facts = _facts()
    focus = facts.volume.focus.model_copy(update={"posts": 0})
    volume = facts.volume.model_copy(update={"focus": focus})
    assert summarise(facts.model_copy(update={"volume": volume})).startswith("No posts about Delta")


@pytest.mark.parametrize(
    ("usual", "phrase"),
    [
        (None, "78% negative."),
        (0.62, "78% negative (usually 62%)."),
        (0.75, "78% negative."),  # within five points: not worth a word
    ],
)
def test_summary_sets_the_sentiment_share_beside_its_usual_share(
    usual: float | None, phrase: str
) -> None:
    facts = _facts()
    mix = [m.model_copy(update={"baseline_share": usual}) for m in facts.sentiment]
    assert phrase in summarise(facts.model_copy(update={"sentiment": mix}))


def test_drilldown_csv_rows_keep_hostile_text_from_running_in_a_spreadsheet() -> None:
    import csv
    import io

    from groundswell.core.csv_export import encode_rows
    from groundswell.listening.drilldown.csv_rows import HEADER, drilldown_rows
    from groundswell.listening.drilldown.schemas import SamplePostRead

    hostile = SamplePostRead(
        id=1,
        text='=HYPERLINK("http://evil.example","refund")',
        created_at=T0,
        channel_key="twitter",
        author_handle="@x",
        contact_id=None,
        sentiment_label="negative",
        sentiment_score=-0.8,
        influence=1.0,
    )
    facts = _facts(samples=[hostile], summary="Talk rose.")
    text = b"".join(encode_rows(HEADER, drilldown_rows(facts))).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(HEADER)
    (sample,) = [r for r in rows if r["section"] == "sample"]
    assert sample["detail"].startswith("'=HYPERLINK")
    assert sample["item"] == "'@x" and sample["time"] == "2015-02-22T14:00:00Z"
    (author,) = [r for r in rows if r["section"] == "author"]
    assert author["detail"] == "followers 12000; influence 41.0"
    term = next(r for r in rows if r["section"] == "term")
    assert (term["count"], term["baseline_count"], term["ratio"]) == ("30", "3", "16.0")
    negative = next(r for r in rows if r["section"] == "sentiment")
    assert negative["baseline_share"] == ""  # no baseline mix known: left empty, not 0
