"""Sentiment loss weights per example: over all examples, or within chosen sources."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.training.train import row_weights

# negative 0, neutral 1, positive 2; -100: no sentiment label
LABELS = np.array([1, 1, 1, 0, 2, 2, 0, 0, 0, 1, -100])
SOURCES = ["semeval"] * 6 + ["airline"] * 4 + ["correction"]


def _class_weights(labels: np.ndarray, balance: float) -> np.ndarray:
    counts = np.bincount(labels, minlength=3) + 1.0
    w = (counts / counts.sum()) ** -balance
    return w / (w * counts / counts.sum()).sum()


def test_over_all_examples_it_is_the_class_weighting_of_before() -> None:
    weights = row_weights(LABELS, SOURCES, 0.5, None)
    expected = _class_weights(LABELS[LABELS >= 0], 0.5)
    assert np.allclose(weights[:10], expected[LABELS[:10]])
    assert weights[10] == 0.0  # no label, no weight


def test_within_one_source_the_others_count_evenly() -> None:
    weights = row_weights(LABELS, SOURCES, 0.5, ["semeval"])
    semeval = LABELS[:6]
    assert np.allclose(weights[:6], _class_weights(semeval, 0.5)[semeval])
    assert np.allclose(weights[6:10], 1.0)
    assert weights[10] == 0.0
    # The rare class of that source weighs most, and the source keeps its overall weight.
    assert weights[3] > weights[4] > weights[0]
    counts = (np.bincount(semeval, minlength=3) + 1.0) / (len(semeval) + 3)
    assert (_class_weights(semeval, 0.5) * counts).sum() == pytest.approx(1.0)


def test_each_listed_source_is_balanced_on_its_own() -> None:
    both = row_weights(LABELS, SOURCES, 0.5, ["semeval", "airline"])
    airline = LABELS[6:10]
    assert np.allclose(both[6:10], _class_weights(airline, 0.5)[airline])
    assert np.allclose(row_weights(LABELS, SOURCES, 0.0, ["semeval"])[:10], 1.0)


def test_the_command_refuses_an_unknown_source() -> None:
    result = CliRunner().invoke(app, ["model", "train", "--balance-source", "twitter"])
    assert result.exit_code == 2
    assert "unknown source 'twitter'" in result.output


def test_all_is_given_alone() -> None:
    result = CliRunner().invoke(
        app, ["model", "train", "--balance-source", "all", "--balance-source", "semeval"]
    )
    assert result.exit_code == 2
    assert "give it alone" in result.output


def test_a_source_weight_scales_that_source_after_balancing() -> None:
    plain = row_weights(LABELS, SOURCES, 0.5, ["semeval"])
    scaled = row_weights(LABELS, SOURCES, 0.5, ["semeval"], {"airline": 2.5})
    assert np.allclose(scaled[:6], plain[:6])
    assert np.allclose(scaled[6:10], 2.5 * plain[6:10])
    assert scaled[10] == 0.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("airline", "give SOURCE=FACTOR"),
        ("twitter=2", "unknown source 'twitter'"),
        ("airline=lots", "must be a number"),
        ("airline=0", "above 0 and at most 10"),
        ("airline=11", "above 0 and at most 10"),
        ("airline=nan", "above 0 and at most 10"),
    ],
)
def test_the_command_refuses_a_bad_source_weight(value: str, message: str) -> None:
    result = CliRunner().invoke(app, ["model", "train", "--source-weight", value])
    assert result.exit_code == 2
    assert message in result.output


def test_agreement_weighs_a_label_by_how_many_annotators_gave_it() -> None:
    from groundswell.training.examples import LabeledExample
    from groundswell.training.train import TrainConfig, sentiment_weights

    examples = [
        LabeledExample("late again", "negative", None, "airline", 1.0),
        LabeledExample("tacky", "positive", None, "airline", 0.35),
        LabeledExample("hello", "neutral", None, "semeval"),
    ]
    labels = np.array([0, 2, 1])
    plain = sentiment_weights(examples, labels, TrainConfig())
    weighed = sentiment_weights(examples, labels, TrainConfig(weigh_by_agreement=True))
    assert np.allclose(weighed, plain * np.array([1.0, 0.35, 1.0]))
    both = TrainConfig(weigh_by_agreement=True, source_weights=(("airline", 2.0),))
    assert np.allclose(sentiment_weights(examples, labels, both)[:2], 2 * weighed[:2])
