"""Retrain from agents' corrections, and promote the candidate only if it is not worse.

``groundswell model retrain`` runs this. The corrections are split by a hash of their
text: four in five join the training data, the fifth is held out, so the candidate is
judged on corrections it never saw. The candidate and the active model are then scored on
the same fixed held-out sets (SemEval and airline test splits when ``../shared/data`` is
there, the shipped hand-labelled intent sample always) and on the held-out corrections.

The gate: on every fixed set the candidate's macro-recall may not fall more than
``TOLERANCE`` below the active model's (two runs of the same training differ by about
that much), and on the held-out corrections its accuracy may not be lower at all (they
are what agents asked for). Only then is it activated; either way it is kept in the store
with its figures and the gate's verdict, so an admin can see why and activate it by hand.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.calibration import sigmoid, softmax
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.store import ModelStore
from groundswell.enrichment.model.text import normalize
from groundswell.training.calibrate import intent_matrix
from groundswell.training.datasets import DataError, by_split, load_airline, load_semeval
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import load_intent_sample
from groundswell.training.metrics import sentiment_scores

TOLERANCE = 0.005
"""How far (0.5 macro-recall points) a candidate may fall on a fixed set and still pass."""

HELD_OUT_SHARE = 5
"""One correction in this many is held out from training to judge the candidate."""

Trainer = Callable[[Path, list[LabeledExample], str], None]
"""Writes a model folder at the path, trained with the examples, under the version."""


@dataclass
class RetrainReport:
    number: int
    version: str
    parent: int
    promoted: bool
    figures: dict[str, dict[str, dict[str, float | None]]]
    """Per evaluation set, ``candidate`` and ``active`` scores."""
    gate: dict[str, Any] = field(default_factory=dict)
    trained_on: int = 0
    held_out: int = 0


def split_corrections(
    corrections: Sequence[LabeledExample],
) -> tuple[list[LabeledExample], list[LabeledExample]]:
    """(train, held out): fixed by each text's hash, so reruns hold out the same posts."""
    train: list[LabeledExample] = []
    held: list[LabeledExample] = []
    for example in corrections:
        digest = hashlib.sha256(example.text.encode("utf-8", "replace")).digest()
        (held if digest[0] % HELD_OUT_SHARE == 0 else train).append(example)
    return train, held


def fixed_sets(
    data_dir: Path | None, log: Callable[[str], None]
) -> dict[str, list[LabeledExample]]:
    """The held-out sets every candidate is judged on; the data sets when available."""
    sets: dict[str, list[LabeledExample]] = {}
    if data_dir is not None:
        try:
            sets["semeval_test"] = by_split(load_semeval(data_dir), "test")
            sets["airline_test"] = by_split(load_airline(data_dir), "test")
        except DataError as exc:
            log(f"fixed data sets not found ({exc}); judging on the shipped sample only")
    sets["intent_sample"] = [e for e in load_intent_sample() if e.sentiment]
    return sets


def score(
    model: SentimentIntentModel, examples: Sequence[LabeledExample]
) -> dict[str, float | None]:
    """Sentiment macro-recall, accuracy, ECE (on labelled examples) and intent micro-F1."""
    if not examples:
        return {"n": 0.0}
    raw = model.logits([normalize(e.text) or "." for e in examples])
    out: dict[str, float | None] = {}
    with_sentiment = [i for i, e in enumerate(examples) if e.sentiment in SENTIMENT_LABELS]
    if with_sentiment:
        probs = softmax(raw.sentiment[with_sentiment], model.temperature)
        gold = [SENTIMENT_LABELS.index(str(examples[i].sentiment)) for i in with_sentiment]
        out.update(sentiment_scores(gold, list(probs.argmax(axis=1)), probs))
    with_intents = [i for i, e in enumerate(examples) if e.intents is not None]
    if with_intents:
        gold_m = intent_matrix([examples[i] for i in with_intents]).astype(bool)
        pred_m = sigmoid(raw.intent[with_intents]) >= model.thresholds
        tp = float((gold_m & pred_m).sum())
        denominator = float(gold_m.sum() + pred_m.sum())
        out["intent_micro_f1"] = 2 * tp / denominator if denominator else 1.0
        out["intent_n"] = float(len(with_intents))
    out["n"] = float(len(examples))
    return out


def judge(
    figures: dict[str, dict[str, dict[str, float | None]]], correction_set: str
) -> dict[str, Any]:
    """The gate's rules, each with both figures and whether it held."""
    rules = []
    for name, pair in figures.items():
        candidate, active = pair["candidate"], pair["active"]
        if name == correction_set:
            for metric in ("accuracy", "intent_micro_f1"):
                c, a = candidate.get(metric), active.get(metric)
                if c is None or a is None:
                    continue
                rules.append(
                    {
                        "set": name,
                        "metric": metric,
                        "candidate": c,
                        "active": a,
                        "allowed_drop": 0.0,
                        "passed": bool(c >= a - 1e-9),
                    }
                )
            continue
        c, a = candidate.get("macro_recall"), active.get("macro_recall")
        if c is None or a is None:
            continue
        rules.append(
            {
                "set": name,
                "metric": "macro_recall",
                "candidate": c,
                "active": a,
                "allowed_drop": TOLERANCE,
                "passed": bool(c >= a - TOLERANCE - 1e-9),
            }
        )
    return {"passed": bool(rules) and all(r["passed"] for r in rules), "rules": rules}


def retrain(
    store: ModelStore,
    *,
    corrections: Sequence[LabeledExample],
    trainer: Trainer | None = None,
    candidate_dir: Path | None = None,
    data_dir: Path | None = None,
    promote: bool = True,
    log: Callable[[str], None] = print,
    loader: Callable[[str | None], SentimentIntentModel] = SentimentIntentModel,
) -> RetrainReport:
    """Train (or take ``candidate_dir``), evaluate, store and, if the gate passes, promote."""
    if (trainer is None) == (candidate_dir is None):
        raise ValueError("give exactly one of a trainer or a candidate folder")
    train_set, held_out = split_corrections(corrections)
    log(f"{len(corrections)} corrections: {len(train_set)} to train on, {len(held_out)} held out")
    parent = store.active()
    number = store.next_number()
    with tempfile.TemporaryDirectory(prefix="gs-candidate-") as scratch:
        if candidate_dir is None:
            assert trainer is not None
            candidate_dir = Path(scratch) / "model"
            candidate_dir.mkdir()
            trainer(candidate_dir, train_set, f"minilm-sent-v{number}")
        candidate = loader(str(candidate_dir))
        active = loader(store.directory(parent))
        sets = fixed_sets(data_dir, log)
        sets["corrections_held_out"] = held_out
        figures: dict[str, dict[str, dict[str, float | None]]] = {}
        for name, examples in sets.items():
            figures[name] = {
                "candidate": score(candidate, examples),
                "active": score(active, examples),
            }
            log(
                f"{name}: candidate {_brief(figures[name]['candidate'])}; "
                f"active v{parent} {_brief(figures[name]['active'])}"
            )
        gate = judge(figures, "corrections_held_out")
        gate["tolerance"] = TOLERANCE
        gate["trained_on_corrections"] = len(train_set)
        gate["held_out_corrections"] = len(held_out)
        number = store.add(candidate_dir, parent=parent, figures=figures, gate=gate, number=number)
    promoted = bool(gate["passed"] and promote)
    if promoted:
        store.activate(number, reason=f"retrain: gate passed against v{parent}")
    return RetrainReport(
        number=number,
        version=candidate.version,
        parent=parent,
        promoted=promoted,
        figures=figures,
        gate=gate,
        trained_on=len(train_set),
        held_out=len(held_out),
    )


def _brief(scores: dict[str, float | None]) -> str:
    parts = [
        f"{k} {v:.4f}"
        for k in ("macro_recall", "accuracy", "ece", "intent_micro_f1")
        if isinstance(v := scores.get(k), float)
    ]
    return ", ".join(parts) + f" (n={int(scores.get('n') or 0)})"


def torch_trainer(
    data_dir: Path,
    *,
    epochs: float,
    trainable_layers: int,
    seed: int,
    log: Callable[[str], None] = print,
) -> Trainer:
    """The real trainer (``groundswell model train``'s); needs the ``train`` extra."""
    from groundswell.training.train import TrainConfig, train

    def run(output: Path, extra: list[LabeledExample], version: str) -> None:
        config = TrainConfig(
            seed=seed, epochs=epochs, version=version, trainable_layers=trainable_layers
        )
        train(output, config=config, extra=extra, data_dir=data_dir, log=log)

    return run
