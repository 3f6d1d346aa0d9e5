"""Moving a post's rollup contribution: pure arithmetic over old and new states."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from groundswell.crm.correction_schemas import CorrectionCreate
from groundswell.crm.rollup_moves import Counted, rollup_moves
from groundswell.listening.models import ALL_POSTS

T0 = datetime(2024, 5, 1, 12, 0, 42, tzinfo=UTC)
MINUTE = T0.replace(second=0)
POST = Counted(T0, 3, "in", "positive", 0.4, (7,))


def test_label_change_moves_count_and_score_for_each_subject() -> None:
    moves = rollup_moves([(POST, replace(POST, sentiment_label="negative", sentiment_score=-1.0))])
    assert moves == {
        (MINUTE, ALL_POSTS, 3, "positive"): (-1, -0.4),
        (MINUTE, 7, 3, "positive"): (-1, -0.4),
        (MINUTE, ALL_POSTS, 3, "negative"): (1, -1.0),
        (MINUTE, 7, 3, "negative"): (1, -1.0),
    }


def test_subject_change_moves_only_the_subject_cells() -> None:
    moves = rollup_moves([(POST, replace(POST, subject_ids=(8,)))])
    assert moves == {
        (MINUTE, 7, 3, "positive"): (-1, -0.4),
        (MINUTE, 8, 3, "positive"): (1, 0.4),
    }


def test_unchanged_and_outbound_posts_move_nothing() -> None:
    outbound = replace(POST, direction="out")
    assert rollup_moves([(POST, POST)]) == {}
    assert rollup_moves([(outbound, replace(outbound, sentiment_label="negative"))]) == {}


def test_posts_swapping_labels_cancel_out() -> None:
    other = replace(POST, sentiment_label="negative", sentiment_score=-0.4)
    assert rollup_moves([(POST, other), (other, POST)]) == {}


def test_unlabelled_post_gains_a_contribution() -> None:
    blank = replace(POST, sentiment_label=None, sentiment_score=None, subject_ids=())
    assert rollup_moves([(blank, replace(blank, sentiment_label="neutral"))]) == {
        (MINUTE, ALL_POSTS, 3, "neutral"): (1, 0.0)
    }


def test_correction_body_is_canonical_and_needs_a_field() -> None:
    body = CorrectionCreate.model_validate({"intents": ["spam", "praise", "spam"]})
    assert body.intents == ["praise", "spam"]
    with pytest.raises(ValidationError, match="sentiment, intents"):
        CorrectionCreate.model_validate({})
    with pytest.raises(ValidationError):
        CorrectionCreate.model_validate({"sentiment": "angry"})
