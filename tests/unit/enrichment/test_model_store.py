"""The model store, the retrain gate, promotion, rollback and hot reload, without PyTorch.

The "trainer" here copies the shipped model and edits its card: a candidate that scores
exactly like the active model (so the gate passes) or one whose intent thresholds make
it miss every intent (so the gate fails on the held-out corrections).
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.hot import ReloadingModel
from groundswell.enrichment.model.store import SHIPPED, ModelStore, ModelStoreError
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.training.examples import LabeledExample
from groundswell.training.retrain import retrain, split_corrections

SHIPPED_DIR = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))

CORRECTIONS = [
    LabeledExample(
        f"@united flight {n} cancelled again, worst airline ever",
        "negative",
        ("complaint",),
        "correction",
    )
    for n in range(30)
] + [
    LabeledExample(
        f"@united thank you for the upgrade on flight {n}!", "positive", ("praise",), "correction"
    )
    for n in range(30)
]


def copy_trainer(*, thresholds: float | None = None):  # type: ignore[no-untyped-def]
    calls: list[tuple[int, str]] = []

    def train(output: Path, extra: list[LabeledExample], version: str) -> None:
        calls.append((len(extra), version))
        for name in ("sentiment-intent.int8.onnx", "tokenizer.json", "metadata.json"):
            shutil.copy(SHIPPED_DIR / name, output / name)
        meta = json.loads((output / "metadata.json").read_text())
        meta["version"] = version
        if thresholds is not None:
            meta["intent_thresholds"] = dict.fromkeys(meta["intent_thresholds"], thresholds)
        (output / "metadata.json").write_text(json.dumps(meta))

    train.calls = calls  # type: ignore[attr-defined]
    return train


def test_empty_store_serves_the_shipped_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    assert store.active() == SHIPPED and store.directory(SHIPPED) is None
    (card,) = store.cards()
    assert card.active and card.version == "minilm-sent-v1" and card.figures["shipped"]
    with pytest.raises(ModelStoreError, match="not in the store"):
        store.activate(2, reason="x")


def test_split_is_fixed_by_text() -> None:
    train, held = split_corrections(CORRECTIONS)
    assert len(train) + len(held) == len(CORRECTIONS) and held and train
    assert split_corrections(list(reversed(CORRECTIONS)))[1] == list(reversed(held))


def test_retrain_promotes_a_candidate_that_is_not_worse_and_rollback_restores(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "models")
    trainer = copy_trainer()
    lines: list[str] = []
    report = retrain(store, corrections=CORRECTIONS, trainer=trainer, log=lines.append)
    assert trainer.calls == [(report.trained_on, "minilm-sent-v2")]  # type: ignore[attr-defined]
    assert report.held_out == len(CORRECTIONS) - report.trained_on > 0
    assert report.promoted and report.gate["passed"] and report.number == 2
    assert store.active() == 2
    assert {r["set"] for r in report.gate["rules"]} == {"intent_sample", "corrections_held_out"}
    card = store.card(2)
    assert card.active and card.parent == SHIPPED and card.gate["passed"]
    assert card.figures["corrections_held_out"]["candidate"]["n"] == report.held_out
    assert any("corrections_held_out" in line for line in lines)

    store.activate(SHIPPED, reason="rollback")
    assert store.active() == SHIPPED
    assert [h["version"] for h in store.history()] == [2, SHIPPED]


def test_a_worse_candidate_is_kept_but_not_promoted(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    report = retrain(store, corrections=CORRECTIONS, trainer=copy_trainer(thresholds=0.9999))
    assert not report.promoted and not report.gate["passed"]
    failed = [r for r in report.gate["rules"] if not r["passed"]]
    assert {r["metric"] for r in failed} == {"intent_micro_f1"}
    assert store.active() == SHIPPED and store.numbers() == [SHIPPED, 2]
    assert store.card(2).gate["passed"] is False


def test_candidate_folder_is_judged_without_training(tmp_path: Path) -> None:
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-handmade")
    store = ModelStore(tmp_path / "models")
    report = retrain(store, corrections=CORRECTIONS, candidate_dir=folder, promote=False)
    assert report.gate["passed"] and not report.promoted and store.active() == SHIPPED
    with pytest.raises(ValueError, match="exactly one"):
        retrain(store, corrections=CORRECTIONS)


def test_running_model_follows_the_active_version(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-v2")
    store.add(folder, parent=SHIPPED, figures={}, gate={"passed": True})
    now = [0.0]
    loaded: list[str | None] = []

    def loader(directory: str | None) -> SentimentIntentModel:
        loaded.append(directory)
        return SentimentIntentModel(directory)

    model = ReloadingModel(store, check_every=5.0, clock=lambda: now[0], loader=loader)
    assert model.version == "minilm-sent-v1"
    store.activate(2, reason="test")
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-v1"  # not checked again yet
    now[0] = 6.0
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-v2" and model.number == 2
    store.activate(SHIPPED, reason="rollback")
    now[0] = 12.0
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-v1" and loaded == [None, store.directory(2), None]


def test_broken_version_keeps_the_current_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-v2")
    number = store.add(folder, parent=SHIPPED, figures={}, gate={})
    (Path(str(store.directory(number))) / "sentiment-intent.int8.onnx").write_bytes(b"broken")
    model = ReloadingModel(store, check_every=0.0)
    store.activate(number, reason="test")
    assert model.refresh() is False
    assert model.version == "minilm-sent-v1"
    assert model.predict_many(["thanks so much!"])[0].sentiment.label == "positive"


def test_enricher_records_the_version_that_scored(tmp_path: Path) -> None:
    root = tmp_path / "models"
    store = ModelStore(root)
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-v2")
    store.add(folder, parent=SHIPPED, figures={}, gate={})
    enricher = Enricher(sentiment_mode="model", model_store=str(root))
    assert enricher.enrich(PostFacts(text="great crew")).versions["sentiment"] == "minilm-sent-v1"
    store.activate(2, reason="test")
    reloading = enricher._model
    assert isinstance(reloading, ReloadingModel)
    reloading.refresh(force=True)
    result = enricher.enrich(PostFacts(text="great crew"))
    assert result.versions["sentiment"] == result.versions["intent"] == "minilm-sent-v2"
