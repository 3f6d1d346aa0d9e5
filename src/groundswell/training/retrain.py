"""Retrain from agents' corrections, and promote the candidate only if it is not worse.

``groundswell model retrain`` runs this. The corrections are split by a hash of their
text: four in five join the training data, the fifth is held out, so the candidate is
judged on corrections it never saw. The candidate and the active model are then scored on
the same fixed held-out sets (SemEval and airline test splits when ``../shared/data`` is
there, the shipped hand-labelled intent sample always) and on the held-out corrections.
A model's scores on a fixed set are kept in the store (``training.score_cache``), so the
active model is scored on each fixed set once, not at every retrain.

The candidate gets its own intent head before it is judged: the head is refit on the
candidate's sentence vectors (``training.intent_head``, what ``groundswell model
fit-intents`` runs), with the intent corrections of the training four fifths added to the
weak labels. Its file is stored with the version, so a promoted model scores intents
with its own head. Without the data sets (a ``--candidate-dir`` judged elsewhere) the
candidate keeps the head it came with, and the gate still judges its intents.

The gate: on every fixed set the candidate's macro-recall may not fall more than
``TOLERANCE`` below the active model's (two runs of the same training differ by about
that much), nor the F1 of any intent with at least ``MIN_INTENT_SUPPORT`` posts more than
``INTENT_TOLERANCE`` below the active model's; on the held-out corrections its accuracy
and intent micro-F1 may not be lower at all (they are what agents asked for). Only then is
it activated; either way it is kept in the store with its figures and the gate's verdict,
so an admin can see why and activate it by hand.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.calibration import softmax
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.store import ModelStore
from groundswell.enrichment.model.text import normalize
from groundswell.training import score_cache
from groundswell.training.calibrate import intent_matrix
from groundswell.training.datasets import DataError, by_split, load_airline, load_semeval
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import load_intent_sample
from groundswell.training.metrics import sentiment_scores

TOLERANCE = 0.005
"""How far (0.5 macro-recall points) a candidate may fall on a fixed set and still pass."""

INTENT_TOLERANCE = 0.01
"""How far (1 F1 point) one intent's F1 may fall on a fixed set: about one post of the
hand-labelled sample's rarest intents (115 posts), so a candidate that loses two is refused."""

MIN_INTENT_SUPPORT = 30
"""An intent is judged on a set only with this many posts: below it one post moves F1 by
several points (the weak airline labels hold a handful of purchase intents)."""

INTENT_F1 = "intent_f1:"
"""Prefix of the per-intent F1 figures (``intent_f1:complaint``…)."""

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
        texts = [normalize(examples[i].text) or "." for i in with_intents]
        probs = model.intent_probabilities(texts, raw.intent[with_intents])
        pred_m = probs >= model.thresholds
        tp = float((gold_m & pred_m).sum())
        denominator = float(gold_m.sum() + pred_m.sum())
        out["intent_micro_f1"] = 2 * tp / denominator if denominator else 1.0
        out["intent_n"] = float(len(with_intents))
        for k, name in enumerate(INTENT_LABELS):
            support = float(gold_m[:, k].sum())
            hits = float((gold_m[:, k] & pred_m[:, k]).sum())
            out[f"{INTENT_F1}{name}"] = (
                2 * hits / (support + float(pred_m[:, k].sum())) if support else None
            )
            out[f"intent_support:{name}"] = support
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
        if c is not None and a is not None:
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
        rules += intent_rules(name, candidate, active)
    return {"passed": bool(rules) and all(r["passed"] for r in rules), "rules": rules}


def intent_rules(
    name: str, candidate: dict[str, float | None], active: dict[str, float | None]
) -> list[dict[str, Any]]:
    """One rule per intent with enough posts in the set: its F1 may not fall far."""
    rules = []
    for intent in INTENT_LABELS:
        c, a = candidate.get(f"{INTENT_F1}{intent}"), active.get(f"{INTENT_F1}{intent}")
        support = candidate.get(f"intent_support:{intent}") or 0.0
        if c is None or a is None or support < MIN_INTENT_SUPPORT:
            continue
        rules.append(
            {
                "set": name,
                "metric": f"{INTENT_F1}{intent}",
                "candidate": c,
                "active": a,
                "allowed_drop": INTENT_TOLERANCE,
                "passed": bool(c >= a - INTENT_TOLERANCE - 1e-9),
            }
        )
    return rules


def refit_head(
    folder: Path,
    data_dir: Path | None,
    corrections: Sequence[LabeledExample],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Refit the intent head of the model in ``folder``; what happened, for the card.

    Without the data sets (or ``onnx`` for a graph lacking the ``pooled`` output) the
    candidate keeps the head it came with; the gate judges its intents either way.
    """
    from groundswell.training.intent_head import refit_intents

    if data_dir is None:
        log("intent head not refit: no data folder; the candidate keeps its own")
        return {"refit": False, "reason": "no data folder"}
    try:
        metadata = refit_intents(folder, data_dir, log, corrections)
    except (DataError, ImportError) as exc:
        log(f"intent head not refit ({exc}); the candidate keeps its own")
        return {"refit": False, "reason": str(exc)[:300]}
    head = metadata["training"]["intent_head"]  # type: ignore[index]
    return {
        "refit": True,
        "intent_version": metadata["intent_version"],
        "thresholds": metadata["intent_thresholds"],
        "corrections": head["corrections"],
    }


def retrain(
    store: ModelStore,
    *,
    corrections: Sequence[LabeledExample],
    trainer: Trainer | None = None,
    candidate_dir: Path | None = None,
    data_dir: Path | None = None,
    promote: bool = True,
    fit_intents: bool = True,
    log: Callable[[str], None] = print,
    loader: Callable[[str | None], SentimentIntentModel] = SentimentIntentModel,
) -> RetrainReport:
    """Train (or take ``candidate_dir``), refit its intent head, evaluate, store and, if
    the gate passes, promote. A given ``candidate_dir`` is copied, never written to."""
    if (trainer is None) == (candidate_dir is None):
        raise ValueError("give exactly one of a trainer or a candidate folder")
    train_set, held_out = split_corrections(corrections)
    log(f"{len(corrections)} corrections: {len(train_set)} to train on, {len(held_out)} held out")
    parent = store.active()
    number = store.next_number()
    with tempfile.TemporaryDirectory(prefix="gs-candidate-") as scratch:
        folder = Path(scratch) / "model"
        if candidate_dir is None:
            assert trainer is not None
            folder.mkdir()
            trainer(folder, train_set, f"minilm-sent-r{number}")
        else:
            shutil.copytree(candidate_dir, folder)
        head: dict[str, Any] = {"refit": False, "reason": "not asked"}
        if fit_intents:
            head = refit_head(folder, data_dir, train_set, log)
        candidate = loader(str(folder))
        active = loader(store.directory(parent))
        sets = fixed_sets(data_dir, log)
        digests = {name: score_cache.set_digest(examples) for name, examples in sets.items()}
        sets["corrections_held_out"] = held_out
        active_key = score_cache.model_key(store, parent)
        figures: dict[str, dict[str, dict[str, float | None]]] = {}
        for name, examples in sets.items():
            digest = digests.get(name)
            kept = None if digest is None else score_cache.cached(store, active_key, name, digest)
            active_scores = kept if kept is not None else score(active, examples)
            if digest is not None and kept is None:
                score_cache.keep(store, active_key, name, digest, active_scores)
            figures[name] = {"candidate": score(candidate, examples), "active": active_scores}
            log(
                f"{name}: candidate {_brief(figures[name]['candidate'])}; "
                f"active v{parent} {_brief(figures[name]['active'])}"
                + (" (kept from an earlier retrain)" if kept is not None else "")
            )
        gate = judge(figures, "corrections_held_out")
        gate["tolerance"] = TOLERANCE
        gate["trained_on_corrections"] = len(train_set)
        gate["held_out_corrections"] = len(held_out)
        gate["intent_head"] = head
        number = store.add(folder, parent=parent, figures=figures, gate=gate, number=number)
        for name, digest in digests.items():
            score_cache.keep(
                store,
                score_cache.model_key(store, number),
                name,
                digest,
                figures[name]["candidate"],
            )
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
