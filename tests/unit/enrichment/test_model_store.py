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

import numpy as np
import pytest

from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.hot import ReloadingModel
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.store import SHIPPED, ModelStore, ModelStoreError
from groundswell.enrichment.pipeline import Enricher, PostFacts
from groundswell.training.examples import LabeledExample
from groundswell.training.retrain import judge, retrain, split_corrections

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
        for name in (
            "sentiment-intent.int8.onnx",
            "intent-head.npz",
            "tokenizer.json",
            "metadata.json",
        ):
            shutil.copy(SHIPPED_DIR / name, output / name)
        meta = json.loads((output / "metadata.json").read_text())
        meta["version"] = version
        meta["intent_version"] = f"{version}+intents2"
        if thresholds is not None:
            meta["intent_thresholds"] = dict.fromkeys(meta["intent_thresholds"], thresholds)
        (output / "metadata.json").write_text(json.dumps(meta))

    train.calls = calls  # type: ignore[attr-defined]
    return train


@pytest.fixture(scope="module")
def shipped_scores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model's scores on the fixed intent sample, computed once for the module.

    Every retrain scores the active model on the 713-post sample unless its store kept
    those scores; tests that are not about that cache start from a store that kept them.
    """
    from groundswell.training import score_cache
    from groundswell.training.retrain import fixed_sets, score

    store = ModelStore(tmp_path_factory.mktemp("seed") / "models")
    (sample,) = fixed_sets(None, lambda _: None).values()
    key = score_cache.model_key(store, SHIPPED)
    digest = score_cache.set_digest(sample)
    score_cache.keep(store, key, "intent_sample", digest, score(SentimentIntentModel(), sample))
    return store.root / "scores"


def seeded(root: Path, scores: Path) -> ModelStore:
    """A new store holding the shipped model's kept scores."""
    shutil.copytree(scores, root / "scores")
    return ModelStore(root)


def test_empty_store_serves_the_shipped_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    assert store.active() == SHIPPED and store.directory(SHIPPED) is None
    (card,) = store.cards()
    assert card.active and card.version == "minilm-sent-v3" and card.figures["shipped"]
    with pytest.raises(ModelStoreError, match="not in the store"):
        store.activate(2, reason="x")


def test_split_is_fixed_by_text() -> None:
    train, held = split_corrections(CORRECTIONS)
    assert len(train) + len(held) == len(CORRECTIONS) and held and train
    assert split_corrections(list(reversed(CORRECTIONS)))[1] == list(reversed(held))


def test_retrain_promotes_a_candidate_that_is_not_worse_and_rollback_restores(
    tmp_path: Path,
    shipped_scores: Path,
) -> None:
    store = seeded(tmp_path / "models", shipped_scores)
    trainer = copy_trainer()
    lines: list[str] = []
    report = retrain(store, corrections=CORRECTIONS, trainer=trainer, log=lines.append)
    assert trainer.calls == [(report.trained_on, "minilm-sent-r2")]  # type: ignore[attr-defined]
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


def test_a_worse_candidate_is_kept_but_not_promoted(tmp_path: Path, shipped_scores: Path) -> None:
    store = seeded(tmp_path / "models", shipped_scores)
    report = retrain(store, corrections=CORRECTIONS, trainer=copy_trainer(thresholds=0.9999))
    assert not report.promoted and not report.gate["passed"]
    failed = [r for r in report.gate["rules"] if not r["passed"]]
    assert {(r["set"], r["metric"]) for r in failed} >= {
        ("corrections_held_out", "intent_micro_f1"),
        *(
            ("intent_sample", f"intent_f1:{name}")
            for name in ("complaint", "support_question", "praise", "spam")
        ),  # the intents no phrase rule rescues
    }
    assert all(r["metric"].startswith("intent_") for r in failed)
    assert store.active() == SHIPPED and store.numbers() == [SHIPPED, 2]
    assert store.card(2).gate["passed"] is False


def test_candidate_folder_is_judged_without_training(tmp_path: Path, shipped_scores: Path) -> None:
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-handmade")
    store = seeded(tmp_path / "models", shipped_scores)
    report = retrain(store, corrections=CORRECTIONS, candidate_dir=folder, promote=False)
    assert report.gate["passed"] and not report.promoted and store.active() == SHIPPED
    with pytest.raises(ValueError, match="exactly one"):
        retrain(store, corrections=CORRECTIONS)


def test_running_model_follows_the_active_version(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-r2")
    store.add(folder, parent=SHIPPED, figures={}, gate={"passed": True})
    now = [0.0]
    loaded: list[str | None] = []

    def loader(directory: str | None) -> SentimentIntentModel:
        loaded.append(directory)
        return SentimentIntentModel(directory)

    model = ReloadingModel(store, check_every=5.0, clock=lambda: now[0], loader=loader)
    assert model.version == "minilm-sent-v3"
    store.activate(2, reason="test")
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-v3"  # not checked again yet
    now[0] = 6.0
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-r2" and model.number == 2
    store.activate(SHIPPED, reason="rollback")
    now[0] = 12.0
    model.predict_many(["hello"])
    assert model.version == "minilm-sent-v3" and loaded == [None, store.directory(2), None]


def test_broken_version_keeps_the_current_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-r2")
    number = store.add(folder, parent=SHIPPED, figures={}, gate={})
    (Path(str(store.directory(number))) / "sentiment-intent.int8.onnx").write_bytes(b"broken")
    model = ReloadingModel(store, check_every=0.0)
    store.activate(number, reason="test")
    assert model.refresh() is False
    assert model.version == "minilm-sent-v3"
    assert model.predict_many(["thanks so much!"])[0].sentiment.label == "positive"


def test_enricher_records_the_version_that_scored(tmp_path: Path) -> None:
    root = tmp_path / "models"
    store = ModelStore(root)
    folder = tmp_path / "cand"
    folder.mkdir()
    copy_trainer()(folder, [], "minilm-sent-r2")
    store.add(folder, parent=SHIPPED, figures={}, gate={})
    enricher = Enricher(sentiment_mode="model", model_store=str(root))
    assert enricher.enrich(PostFacts(text="great crew")).versions["sentiment"] == "minilm-sent-v3"
    store.activate(2, reason="test")
    reloading = enricher._model
    assert isinstance(reloading, ReloadingModel)
    reloading.refresh(force=True)
    result = enricher.enrich(PostFacts(text="great crew"))
    assert result.versions["sentiment"] == "minilm-sent-r2"
    assert result.versions["intent"] == "minilm-sent-r2+intents2"


INTENT_CORRECTIONS = [
    LabeledExample(
        f"@united I would like to buy an upgrade on flight {n}, how much?",
        "neutral",
        ("support_question", "purchase_intent"),
        "correction",
    )
    for n in range(20)
] + [LabeledExample("@united flight 7 was fine", "neutral", None, "correction")]


def test_retrain_refits_the_intent_head_stores_it_and_the_running_model_uses_it(
    tmp_path: Path,
    shipped_scores: Path,
) -> None:
    from tests_model_store_helpers import headless_trainer, write_weak_data

    data = write_weak_data(tmp_path / "data")
    store = seeded(tmp_path / "models", shipped_scores)
    running = ReloadingModel(store, check_every=0.0)
    calls: list[tuple[int, str]] = []
    lines: list[str] = []
    corrections = CORRECTIONS + INTENT_CORRECTIONS
    report = retrain(
        store,
        corrections=corrections,
        trainer=headless_trainer(calls),
        data_dir=data,
        promote=False,
        log=lines.append,
    )
    head = report.gate["intent_head"]
    train_set, _ = split_corrections(corrections)
    assert head["refit"] and head["intent_version"] == "minilm-sent-r2+intents3"
    assert head["corrections"] == sum(e.intents is not None for e in train_set) > 0
    assert any(line.startswith("weak positives") for line in lines)

    folder = Path(str(store.directory(report.number)))
    stored_head = (folder / "intent-head.npz").read_bytes()
    assert stored_head != (SHIPPED_DIR / "intent-head.npz").read_bytes()
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["files"]["intent_head"] == "intent-head.npz" and metadata["intent_rules"]
    assert metadata["training"]["intent_head"]["corrections"] == head["corrections"]
    assert metadata["intent_thresholds"] == head["thresholds"]

    intent_rules = {r["metric"] for r in report.gate["rules"] if r["set"] == "intent_sample"}
    assert intent_rules == {"macro_recall"} | {f"intent_f1:{n}" for n in INTENT_LABELS}

    store.activate(report.number, reason="test")
    assert running.refresh() and running.number == report.number
    assert running.intent_version == "minilm-sent-r2+intents3"
    texts = ["@united how much to upgrade to first?", "@united lost my bag"]
    own = SentimentIntentModel(str(folder)).logits(texts).intent
    assert np.array_equal(running.model.logits(texts).intent, own)
    assert not np.allclose(SentimentIntentModel().logits(texts).intent, own)


def test_a_given_candidate_folder_is_not_written_to(tmp_path: Path, shipped_scores: Path) -> None:
    from tests_model_store_helpers import headless_trainer, write_weak_data

    folder = tmp_path / "cand"
    folder.mkdir()
    headless_trainer([])(folder, [], "minilm-sent-handmade")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    store = seeded(tmp_path / "models", shipped_scores)
    report = retrain(
        store,
        corrections=CORRECTIONS,
        candidate_dir=folder,
        data_dir=write_weak_data(tmp_path / "data", per_template=10),
        promote=False,
    )
    assert report.gate["intent_head"]["refit"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert (Path(str(store.directory(report.number))) / "intent-head.npz").is_file()


def _pair(candidate: float, active: float, support: float = 115.0) -> dict[str, float | None]:
    return {"intent_f1:purchase_intent": candidate, "intent_support:purchase_intent": support}


def test_gate_refuses_a_candidate_whose_intent_f1_falls() -> None:
    def verdict(candidate: float, active: float, support: float = 115.0) -> list[bool]:
        figures = {
            "intent_sample": {
                "candidate": {**_pair(candidate, active, support), "macro_recall": 0.7},
                "active": {**_pair(active, active, support), "macro_recall": 0.7},
            }
        }
        return [r["passed"] for r in judge(figures, "corrections_held_out")["rules"]]

    assert verdict(0.60, 0.56) == [True, True]
    assert verdict(0.555, 0.56) == [True, True]  # within one F1 point
    assert verdict(0.53, 0.56) == [True, False]
    assert verdict(0.10, 0.56, support=5) == [True]  # too few posts to judge


def test_the_active_models_fixed_set_scores_are_kept_between_retrains(tmp_path: Path) -> None:
    from groundswell.training import score_cache
    from groundswell.training.retrain import fixed_sets, score

    store = ModelStore(tmp_path / "models")
    first_lines: list[str] = []
    first = retrain(
        store,
        corrections=CORRECTIONS,
        trainer=copy_trainer(thresholds=0.9999),
        log=first_lines.append,
    )
    assert not first.promoted and store.active() == SHIPPED
    assert not any("kept from an earlier retrain" in line for line in first_lines)

    second_lines: list[str] = []
    second = retrain(
        store, corrections=CORRECTIONS, trainer=copy_trainer(), log=second_lines.append
    )
    kept = [line for line in second_lines if "kept from an earlier retrain" in line]
    assert [line.split(":")[0] for line in kept] == ["intent_sample"]  # never the corrections
    assert second.figures["intent_sample"]["active"] == first.figures["intent_sample"]["active"]
    # ... and they are what scoring the shipped model gives now.
    (sample,) = fixed_sets(None, lambda _: None).values()
    assert second.figures["intent_sample"]["active"] == score(SentimentIntentModel(), sample)
    assert second.promoted and store.active() == second.number

    # The promoted version's own scores, kept when it was judged, serve the next retrain.
    third_lines: list[str] = []
    third = retrain(store, corrections=CORRECTIONS, trainer=copy_trainer(), log=third_lines.append)
    assert any(line.startswith("intent_sample") and "kept" in line for line in third_lines)
    assert third.figures["intent_sample"]["active"] == second.figures["intent_sample"]["candidate"]

    # A set whose texts or labels change is another set: it is scored afresh.
    changed = [LabeledExample(e.text, "neutral", e.intents, e.source) for e in sample[:5]]
    assert score_cache.set_digest(changed) != score_cache.set_digest(sample[:5])
    assert score_cache.cached(store, "v2", "intent_sample", "0" * 24) is None
