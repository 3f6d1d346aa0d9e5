"""``groundswell model train``: fine-tune, export, calibrate and evaluate in one run.

1. Fine-tune all-MiniLM-L6-v2 with a 3-class sentiment head and a 6-way multi-label
   intent head on the train splits of SemEval-2017 and the airline tweets (plus any
   agents' corrections). Word embeddings stay frozen: they hold most of the parameters,
   and freezing them halves the optimiser's work without hurting accuracy.
2. Export to fused int8 ONNX and load it through the run-time code, so what is
   calibrated and measured is exactly what ships.
3. Fit the sentiment temperature and the intent thresholds on the validation splits.
4. Score the held-out test splits and write everything to ``metadata.json``.

Deterministic for a given seed and data: splits are hashed, batches are drawn from a
seeded generator, and PyTorch runs single-process with fixed seeds.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.artifacts import METADATA_FILE
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.text import normalize
from groundswell.training.datasets import (
    DEFAULT_DATA_DIR,
    Record,
    Split,
    by_split,
    load_airline,
    load_semeval,
    split_of,
)
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import assert_not_held_out, held_out_keys

MODEL_FILE = "sentiment-intent.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
DEFAULT_VERSION = "minilm-sent-v3"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
HELD_OUT: tuple[Split, ...] = ("val", "test")


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    init_seed: int | None = None
    """Seed of the heads' initial weights (None: ``seed``). Trainings meant to be averaged
    by ``model soup`` share it and differ in ``seed`` (batch order, dropout) only: heads
    started from different random weights end in different places, and their average is
    worse than either."""
    epochs: float = 2.0
    max_length: int = 64
    batch_size: int = 32
    learning_rate: float = 5e-5
    intent_weight: float = 0.5
    class_balance: float = 0.5
    """Sentiment loss weights are class frequency to the power ``-class_balance``.

    SemEval is 50 % neutral and 16 % negative; unweighted training under-predicts the
    rare classes, which macro-recall punishes. 0.5 (inverse square root) lifts them
    without the over-correction that full inverse weighting gives; calibration is
    restored by the temperature.
    """
    balance_sources: tuple[str, ...] | None = ("semeval",)
    """Balance classes within each of these sources only; other examples count evenly
    (None: over all examples together, the recipe up to ``minilm-sent-v2``).

    Each held-out figure has its own metric: SemEval's macro-recall rewards balanced
    classes, airline's accuracy rewards its majority class. Balancing SemEval alone
    weighs each source's examples for its own metric: SemEval test macro-recall 70.8 →
    73.3 with airline accuracy 84.5 → 84.2 % (docs/benchmarks.md)."""
    source_weights: tuple[tuple[str, float], ...] = ()
    """Multiply the sentiment loss weight of every example of a source (after balancing),
    e.g. ``(("airline", 2.0),)``: a source's share of the loss follows its size otherwise,
    and SemEval's training split is several times airline's."""
    weigh_by_agreement: bool = False
    """Multiply each example's sentiment weight by its annotators' agreement (airline's
    ``airline_sentiment_confidence``), so a label a third of them gave counts a third."""
    layers: int | None = None
    trainable_layers: int = 6
    """Top encoder layers fine-tuned; the ones below stay frozen and are cached."""
    anchor_weight: float = 0.5
    """Weight of ``1 − cos(pooled, base model's pooled)`` in the loss (0: off).

    Fine-tuning every layer for sentiment makes the sentence vector forget what the
    intent head, refit on it afterwards, needs (what tells a purchase from a complaint);
    this term keeps the vector near the pre-trained one while the layers learn sentiment.
    """
    version: str = DEFAULT_VERSION
    limit: int | None = None
    """Use only the first ``limit`` training examples (smoke tests of the pipeline)."""


def _check(example: LabeledExample) -> None:
    if example.sentiment is not None and example.sentiment not in SENTIMENT_LABELS:
        raise ValueError(f"unknown sentiment {example.sentiment!r} in {example.source}")
    unknown = set(example.intents or ()) - set(INTENT_LABELS)
    if unknown:
        raise ValueError(f"unknown intents {sorted(unknown)} in {example.source}")


def row_weights(
    labels: np.ndarray,
    sources: Sequence[str],
    balance: float,
    balanced: Sequence[str] | None,
    scale: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Each example's weight in the sentiment loss (``labels`` < 0: no sentiment, 0).

    Class frequency to the power ``-balance``, counted over every example
    (``balanced`` None) or within each listed source; examples of unlisted sources
    weigh 1. Within a group the weights average 1, so no group gains weight overall;
    ``scale`` then multiplies the weights of a whole source."""
    weights = np.zeros(len(labels), dtype=np.float64)
    known = labels >= 0
    groups = [known] if balanced is None else []
    if balanced is not None:
        source_of = np.array(sources)
        for name in balanced:
            groups.append(known & (source_of == name))
        weights[known & ~np.isin(source_of, list(balanced))] = 1.0
    for group in groups:
        if not group.any():
            continue
        counts = np.bincount(labels[group], minlength=len(SENTIMENT_LABELS)) + 1.0
        per_class = (counts / counts.sum()) ** -balance
        per_class = per_class / (per_class * counts / counts.sum()).sum()
        weights[group] = per_class[labels[group]]
    if scale:
        source_of = np.array(sources)
        for name, factor in scale.items():
            weights[source_of == name] *= factor
    return weights


def sentiment_weights(
    examples: Sequence[LabeledExample], labels: np.ndarray, config: TrainConfig
) -> np.ndarray:
    """Each example's weight in the sentiment loss under ``config``: ``row_weights``, times
    the annotators' agreement when ``weigh_by_agreement`` is set."""
    weights = row_weights(
        labels,
        [e.source for e in examples],
        config.class_balance,
        config.balance_sources,
        dict(config.source_weights),
    )
    if config.weigh_by_agreement:
        weights = weights * np.array([e.agreement for e in examples])
    return weights


def _batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length examples (sort within chunks of 50 batches)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[k : k + size] for k in range(0, len(part), size))
    rng.shuffle(batches)
    return batches


def _targets(examples: Sequence[LabeledExample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sentiment = np.array(
        [SENTIMENT_LABELS.index(e.sentiment) if e.sentiment else -100 for e in examples]
    )
    intents = np.zeros((len(examples), len(INTENT_LABELS)), dtype=np.float32)
    known = np.zeros(len(examples), dtype=np.float32)
    for row, e in enumerate(examples):
        if e.intents is not None:
            known[row] = 1.0
            for name in e.intents:
                intents[row, INTENT_LABELS.index(name)] = 1.0
    return sentiment, intents, known


def fine_tune(
    examples: Sequence[LabeledExample], config: TrainConfig, log: Callable[[str], None]
) -> Any:
    """The trained ``MultiTaskModel`` (PyTorch); only its top layers and heads learn."""
    import torch
    from tokenizers import Tokenizer

    from groundswell.training.cache import additive_mask, lower_states
    from groundswell.training.network import (
        MultiTaskModel,
        base_model_dir,
        load_encoder,
        mean_pool,
    )

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed if config.init_seed is None else config.init_seed)
    tokenizer = Tokenizer.from_file(str(base_model_dir() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(config.max_length)
    ids = [e.ids for e in tokenizer.encode_batch([normalize(x.text) for x in examples])]
    sentiment, intents, known = _targets(examples)

    model = MultiTaskModel(load_encoder(config.layers), len(SENTIMENT_LABELS), len(INTENT_LABELS))
    if config.init_seed is not None:
        torch.manual_seed(config.seed)  # dropout follows the run's own seed
    layers = model.encoder.encoder.layer
    frozen = max(0, len(layers) - config.trainable_layers)
    started = time.monotonic()
    states = lower_states(model.encoder, frozen, ids)
    log(f"cached {len(states)} lower-layer states in {(time.monotonic() - started) / 60:.1f} min")
    anchors = _base_pooled(model.encoder, ids) if config.anchor_weight > 0 else None
    for p in model.encoder.parameters():
        p.requires_grad_(False)
    top = layers[frozen:]
    for p in top.parameters():
        p.requires_grad_(True)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    rng = random.Random(config.seed)
    rounds = max(1, math.ceil(config.epochs))
    plan: list[list[int]] = []
    for _ in range(rounds):
        plan.extend(_batches([len(x) for x in ids], config.batch_size, rng))
    steps = max(1, round(len(plan) * config.epochs / rounds))
    plan = plan[:steps]
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    weights = torch.from_numpy(sentiment_weights(examples, sentiment, config).astype(np.float32))
    ce = torch.nn.CrossEntropyLoss(reduction="none", ignore_index=-100)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    hidden_size = int(model.encoder.config.hidden_size)
    for step, batch in enumerate(plan, 1):
        width = max(len(ids[i]) for i in batch)
        hidden = torch.zeros((len(batch), width, hidden_size))
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            hidden[row, : len(ids[i])] = torch.from_numpy(states[i].astype(np.float32))
            mask[row, : len(ids[i])] = 1
        additive = additive_mask(mask, hidden.dtype)
        for layer in top:
            hidden = layer(hidden, attention_mask=additive)[0]
        plain = mean_pool(hidden, mask)
        pooled = model.dropout(plain)
        sent_logits, intent_logits = model.sentiment(pooled), model.intent(pooled)
        # The weighted mean over the batch's labelled rows, as CrossEntropyLoss(weight=…)
        # computes it for class weights.
        row_w = weights[batch]
        loss = (ce(sent_logits, torch.from_numpy(sentiment[batch])) * row_w).sum() / (
            row_w.sum().clamp_min(1e-9)
        )
        if anchors is not None:
            anchor = torch.from_numpy(anchors[batch])
            drift = 1.0 - torch.nn.functional.cosine_similarity(plain, anchor, dim=-1)
            loss = loss + config.anchor_weight * drift.mean()
        rows = torch.from_numpy(known[batch])
        if float(rows.sum()) > 0:
            per_row = bce(intent_logits, torch.from_numpy(intents[batch])).mean(dim=1)
            loss = loss + config.intent_weight * (per_row * rows).sum() / rows.sum()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        if step % 100 == 0 or step == steps:
            minutes = (time.monotonic() - started) / 60
            log(f"step {step}/{steps}  loss {float(loss.detach()):.3f}  {minutes:.1f} min")
    model.eval()
    return model


def _base_pooled(encoder: Any, ids: Sequence[Sequence[int]], batch: int = 128) -> np.ndarray:
    """The pre-trained encoder's mean-pooled vector of every example (before any step)."""
    import torch

    from groundswell.training.network import mean_pool

    out = np.zeros((len(ids), int(encoder.config.hidden_size)), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    encoder.eval()
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            width = max(len(ids[i]) for i in chosen)
            tokens = torch.zeros((len(chosen), width), dtype=torch.long)
            mask = torch.zeros((len(chosen), width), dtype=torch.long)
            for row, i in enumerate(chosen):
                tokens[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
            hidden = encoder(input_ids=tokens, attention_mask=mask).last_hidden_state
            out[chosen] = mean_pool(hidden, mask).numpy()
    encoder.train()
    return out


def export_model(model: Any, output: Path) -> None:
    """The fused int8 graph with outputs ``sentiment_logits`` and ``intent_logits``."""
    from groundswell.training.export import export_int8
    from groundswell.training.network import base_model_dir

    config = model.encoder.config
    export_int8(
        model,
        output / MODEL_FILE,
        ["sentiment_logits", "intent_logits"],
        heads=int(config.num_attention_heads),
        hidden=int(config.hidden_size),
    )
    shutil.copyfile(base_model_dir() / TOKENIZER_FILE, output / TOKENIZER_FILE)


def new_metadata(version: str, training: dict[str, Any], *, max_length: int) -> dict[str, Any]:
    """What ``metadata.json`` says of a model before calibration and scoring fill it in."""
    return {
        "version": version,
        "base_model": BASE_MODEL,
        "license": "Apache-2.0",
        "files": {"model": MODEL_FILE, "tokenizer": TOKENIZER_FILE},
        "max_length": max_length,
        "sentiment_labels": list(SENTIMENT_LABELS),
        "intent_labels": list(INTENT_LABELS),
        "temperature": 1.0,
        "intent_thresholds": dict.fromkeys(INTENT_LABELS, 0.5),
        "training": training,
    }


def write_metadata(output: Path, metadata: dict[str, Any]) -> None:
    (output / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")


def train_records_without_held_out(records: Sequence[Record]) -> list[Record]:
    """The train-split records, minus any post of the hand-labelled intent sample.

    The sample is drawn from held-out splits and twcs, so nothing should be dropped; the
    check by id makes that a guarantee rather than a consequence of how it was drawn.
    """
    held = held_out_keys()
    chosen = [r for r in records if split_of(r.key) == "train" and r.key not in held]
    assert_not_held_out(r.key for r in chosen)
    return chosen


def training_examples(
    data_dir: Path, extra: Sequence[LabeledExample], limit: int | None
) -> tuple[list[LabeledExample], dict[str, list[LabeledExample]]]:
    """Train examples (data sets' train splits + ``extra``) and the val/test splits."""
    semeval, airline = load_semeval(data_dir), load_airline(data_dir)
    train_records = train_records_without_held_out(semeval + airline)
    train = [r.example for r in train_records]
    if limit is not None:
        train = train[:limit]
    for example in extra:
        _check(example)
    train += [e for e in extra if e.text and (e.sentiment or e.intents is not None)]
    held_out = {
        f"{name}_{split}": by_split(records, split)
        for name, records in (("semeval", semeval), ("airline", airline))
        for split in HELD_OUT
    }
    return train, held_out


def train(
    output: Path,
    *,
    config: TrainConfig,
    extra: Sequence[LabeledExample] = (),
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train, export to ``output`` and return the metadata written beside the model."""
    import torch

    from groundswell.training.calibrate import calibrate_and_score
    from groundswell.training.soup import WEIGHTS_FILE, trained_state

    started = time.monotonic()
    train_set, held_out = training_examples(data_dir, extra, config.limit)
    log(f"training on {len(train_set)} examples ({len(extra)} extra)")
    model = fine_tune(train_set, config, log)
    output.mkdir(parents=True, exist_ok=True)
    export_model(model, output)
    torch.save(trained_state(model), output / WEIGHTS_FILE)
    metadata = new_metadata(
        config.version,
        {
            "seed": config.seed,
            "init_seed": config.seed if config.init_seed is None else config.init_seed,
            "epochs": config.epochs,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "class_balance": config.class_balance,
            "balance_sources": list(config.balance_sources or ()) or "all",
            "source_weights": dict(config.source_weights),
            "weigh_by_agreement": config.weigh_by_agreement,
            "anchor_weight": config.anchor_weight,
            "layers": config.layers or 6,
            "trainable_layers": config.trainable_layers,
            "examples": len(train_set),
            "extra_examples": len(extra),
            "splits": "sha256(dataset:id) buckets: 75% train, 10% val, 15% test",
        },
        max_length=config.max_length,
    )
    write_metadata(output, metadata)
    metadata = calibrate_and_score(output, metadata, held_out, log)
    metadata["training"]["minutes"] = round((time.monotonic() - started) / 60, 1)
    write_metadata(output, metadata)
    return metadata
