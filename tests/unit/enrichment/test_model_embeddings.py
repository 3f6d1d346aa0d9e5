"""Sentence embeddings from the shipped base encoder."""

from __future__ import annotations

import numpy as np

from groundswell.enrichment.embeddings import EMBEDDING_DIM, embed


def test_unit_vectors_one_row_per_text_in_order() -> None:
    texts = ["my bag is lost", "", "😀", "x" * 5_000, "\x00\ud800"]
    vectors = embed(texts)
    assert vectors.shape == (len(texts), EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert np.allclose(embed(texts[:1])[0], vectors[0], atol=0.05)


def test_similar_posts_are_closer_than_unrelated_ones() -> None:
    a, b, c = embed(
        [
            "@united you lost my luggage at O'Hare",
            "@united my suitcase never arrived in Chicago",
            "What a beautiful sunset over the lake tonight",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_no_texts_give_an_empty_matrix() -> None:
    assert embed([]).shape == (0, EMBEDDING_DIM)
