"""An intent head refit on the shipped encoder's frozen sentence vectors.

The fine-tuned network's own intent head learnt from a handful of weak labels for the rare
intents (purchase intent, churn threat, spam) and never predicts them. Fine-tuning again
does not fit this machine's budget, and the encoder's sentence vector already carries the
meaning; so six logistic regressions are fitted on that vector (the mean-pooled output the
heads read, exposed as the graph's ``pooled`` output), with weak labels on the train
splits, and their thresholds are chosen on the validation splits. The hand-labelled
sample is never trained on or tuned on: every key is checked against it.

Sentiment is untouched: the same graph, the same sentiment logits and temperature.

Weak labels:

- airline tweets: ``weak_intents.airline_intents`` (human sentiment → complaint / praise,
  phrase rules for support questions, purchase intent, churn threats and spam);
- SemEval tweets are general Twitter, not customers writing to a company: spam (that is,
  irrelevant) unless a phrase rule finds purchase intent or a churn threat;
- hand labels of purchase intent on 260 training posts (``training.purchase_labels``):
  they replace those posts' weak purchase labels and choose the purchase threshold;
- agents' intent corrections, when a retrain passes them (``groundswell model retrain``):
  human labels for all six intents, added to the train set (posts whose text is in the
  hand-labelled sample are dropped).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.runtime import OnnxTextModel
from groundswell.enrichment.model.text import normalize
from groundswell.training.calibrate import best_thresholds
from groundswell.training.datasets import (
    DEFAULT_DATA_DIR,
    TWCS_FILE,
    load_airline,
    load_semeval,
    split_of,
)
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import (
    assert_not_held_out,
    held_out_keys,
    load_intent_sample,
)
from groundswell.training.purchase_labels import load_purchase_labels
from groundswell.training.weak_intents import rule_intents

HEAD_FILE = "intent-head.npz"
HEAD_REVISION = "intents3"
"""Appended to the model version as the intent version; bumped when the recipe or the
phrase rules change, so each post records which head and rules gave its intents."""
POOLED_OUTPUT = "pooled"
LOWER_LAYER = 3
"""The encoder layer (0-based) whose mean joins the last layer's in ``pooled``: with
every layer fine-tuned for sentiment, the last layer alone lost purchase intent
(``docs/benchmarks.md``, "Sentiment past 70 with intents kept")."""
L2 = 1e-3
STEPS = 300
POSITIVE_WEIGHT_CAP = 20.0
"""Rare classes are up-weighted to balance, at most this many times."""


def semeval_intents(text: str) -> tuple[str, ...]:
    """Weak intents of a SemEval tweet: irrelevant, unless it wants to buy or to leave."""
    found = rule_intents(text) & {"purchase_intent", "churn_threat"}
    if not found:
        found = {"spam"}
    return tuple(name for name in INTENT_LABELS if name in found)


@dataclass(frozen=True, slots=True)
class WeakSet:
    keys: list[str]
    texts: list[str]
    labels: np.ndarray
    """rows × intents, 0/1."""
    known: np.ndarray
    """rows × intents, 0/1: whether the label is known (twcs has no sentiment labels)."""


TWCS_KNOWN = ("support_question", "purchase_intent", "churn_threat", "spam")


def twcs_training_posts(data_dir: Path, held: frozenset[str]) -> list[tuple[str, str]]:
    """(key, text) of inbound twcs posts whose author wrote none of the sample's posts.

    The sample holds 301 twcs posts; excluding their authors' every other post keeps a
    conversation's other turns (same customer, same issue) out of training too.
    """
    path = data_dir / TWCS_FILE
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        rows = [r for r in csv.DictReader(stream) if r.get("inbound") == "True" and r.get("text")]
    held_authors = {r["author_id"] for r in rows if f"twcs:{r['tweet_id']}" in held}
    return [
        (f"twcs:{r['tweet_id']}", r["text"])
        for r in rows
        if r["author_id"] not in held_authors and f"twcs:{r['tweet_id']}" not in held
    ]


CORRECTION_KEY = "correction"


def correction_items(
    corrections: Sequence[LabeledExample],
) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(key, text, intents, known) of the corrections that set intents.

    An agent who corrects a post's intents picks the whole list, so all six are known. A
    correction of sentiment only (``intents is None``) says nothing about intents. Posts
    whose text is in the hand-labelled sample are dropped: the sample is never trained on.
    """
    held_texts = {normalize(e.text) for e in load_intent_sample()}
    every = tuple(INTENT_LABELS)
    return [
        (f"{CORRECTION_KEY}:{n}", e.text, tuple(e.intents), every)
        for n, e in enumerate(corrections)
        if e.intents is not None and normalize(e.text) not in held_texts
    ]


Item = tuple[str, str, tuple[str, ...], tuple[str, ...]]
"""(key, text, intents, known intents) of one training post."""


def with_purchase_labels(items: list[Item], hand: dict[str, bool]) -> list[Item]:
    """The items with the hand label of purchase intent where there is one."""
    out = []
    for key, text, intents, known in items:
        if key in hand:
            rest = {name for name in intents if name != "purchase_intent"}
            chosen = rest | ({"purchase_intent"} if hand[key] else set())
            intents = tuple(name for name in INTENT_LABELS if name in chosen)
        out.append((key, text, intents, known))
    return out


def weak_sets(
    data_dir: Path = DEFAULT_DATA_DIR, corrections: Sequence[LabeledExample] = ()
) -> dict[str, WeakSet]:
    """Weakly labelled ``train`` and ``val`` sets, without any post of the sample.

    ``corrections`` with intents join the train set (see ``correction_items``).
    """
    held = held_out_keys()
    every = tuple(INTENT_LABELS)
    items: list[Item] = [
        (r.key, r.example.text, r.example.intents or (), every) for r in load_airline(data_dir)
    ]
    items += [
        (r.key, r.example.text, semeval_intents(r.example.text), every)
        for r in load_semeval(data_dir)
    ]
    items += [
        (key, text, tuple(sorted(rule_intents(text))), TWCS_KNOWN)
        for key, text in twcs_training_posts(data_dir, held)
    ]
    items = with_purchase_labels(items, load_purchase_labels())
    extra = correction_items(corrections)
    out = {}
    for split in ("train", "val"):
        chosen = [it for it in items if split_of(it[0]) == split and it[0] not in held]
        chosen += extra if split == "train" else []
        assert_not_held_out(key for key, _, _, _ in chosen)
        labels = np.zeros((len(chosen), len(INTENT_LABELS)), dtype=np.int8)
        known = np.zeros_like(labels)
        for row, (_, _, intents, known_names) in enumerate(chosen):
            for k, name in enumerate(INTENT_LABELS):
                labels[row, k] = name in intents
                known[row, k] = name in known_names
        out[split] = WeakSet([c[0] for c in chosen], [c[1] for c in chosen], labels, known)
    return out


def pooled_vectors(net: OnnxTextModel, texts: Sequence[str]) -> np.ndarray:
    """The sentence vectors the heads read, for a graph with a ``pooled`` output."""
    if POOLED_OUTPUT not in net.output_names:
        raise ValueError(f"the model graph has no {POOLED_OUTPUT!r} output")
    outputs = net.run(net.encode([normalize(t) or "." for t in texts]).ids)
    return np.asarray(outputs[net.output_names.index(POOLED_OUTPUT)], dtype=np.float32)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, known: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Independent L2-regularised logistic regressions, one per column of ``y``.

    Full-batch gradient descent with Adam on standardised inputs: deterministic, a few
    seconds for tens of thousands of rows, and no extra dependency. Positives of each
    class are weighted to balance its negatives (capped), so a rare intent is not
    drowned. ``known`` (0/1 like ``y``) masks labels a data set does not have. Returns
    weights and bias for the *raw* inputs.
    """
    x = np.asarray(x, dtype=np.float32)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    mask = np.ones_like(y, dtype=np.float32) if known is None else known.astype(np.float32)
    d = z.shape[1]
    k = y.shape[1]
    positives = (y * mask).sum(axis=0).clip(1, None)
    negatives = ((1 - y) * mask).sum(axis=0)
    weight = mask * np.where(y == 1, np.minimum(negatives / positives, POSITIVE_WEIGHT_CAP), 1.0)
    weight = weight.astype(np.float32)
    w, b = np.zeros((d, k), dtype=np.float32), np.zeros(k, dtype=np.float32)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    for step in range(1, STEPS + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w + b, -30, 30)))
        error = (weight * (p - y) / weight.sum(axis=0).clip(1e-6, None)).astype(np.float32)
        grad_w = z.T @ error + L2 * w
        grad_b = error.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, m_w, v_w), (b, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad**2
            param -= rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
    raw_w = w / scale[:, None]
    raw_b = b - mean @ raw_w
    return raw_w.astype(np.float32), raw_b.astype(np.float32)


def head_logits(pooled: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    logits: np.ndarray = np.asarray(pooled, dtype=np.float32) @ weights + bias
    return logits


def save_head(path: Path, weights: np.ndarray, bias: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, weights=weights, bias=bias, labels=np.array(INTENT_LABELS))
    path.write_bytes(buffer.getvalue())


FOLDS = 5


def fold_of(key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"fold:{key}".encode()).digest()[:4], "big") % FOLDS


def choose_thresholds(
    x: np.ndarray, labels: np.ndarray, known: np.ndarray, keys: Sequence[str]
) -> dict[str, float]:
    """Per intent, the threshold with the best F1 on out-of-fold predictions.

    The validation splits alone hold about ten weak positives of purchase intent and six
    of churn threats: too few to choose a threshold on. Five-fold cross-validation over
    train and validation together gives every weak label an out-of-fold prediction.

    Purchase intent's weak labels *are* its phrase rules, so a threshold chosen on them
    only teaches the head to repeat the rules (which apply at run time anyway). Its
    threshold is chosen on the hand-labelled posts of ``purchase_labels`` instead: the best
    F1 of the head alone. Not of "head or rule": the purchase rules were refined by
    reading those posts, so they would look better there than they are and push the
    head's threshold up.
    """
    from groundswell.enrichment.model.calibration import sigmoid

    folds = np.array([fold_of(k) for k in keys])
    oof = np.zeros(labels.shape, dtype=np.float32)
    for f in range(FOLDS):
        rest = folds != f
        weights, bias = fit_logistic(x[rest], labels[rest].astype(np.float32), known[rest])
        oof[~rest] = sigmoid(head_logits(x[~rest], weights, bias))
    chosen = {}
    for k, name in enumerate(INTENT_LABELS):
        rows = known[:, k] == 1
        chosen[name] = best_thresholds(oof[rows], labels[rows])[name]
    hand = load_purchase_labels()
    rows = np.array([key in hand for key in keys], dtype=bool)
    if rows.any():
        name = "purchase_intent"
        chosen[name] = best_thresholds(oof[rows], labels[rows])[name]
    return chosen


@dataclass(frozen=True)
class FittedHead:
    weights: np.ndarray
    bias: np.ndarray
    thresholds: dict[str, float]
    counts: dict[str, dict[str, int]]
    """Weak positives per intent in the train and val sets."""


def fit_head_on(
    sets: dict[str, WeakSet], vectors: dict[str, np.ndarray], log: Callable[[str], None] = print
) -> FittedHead:
    """Fit on the train split's weak labels; thresholds from cross-validation (above)."""
    counts = {
        split: {name: int(s.labels[:, k].sum()) for k, name in enumerate(INTENT_LABELS)}
        for split, s in sets.items()
    }
    log(f"weak positives: {counts}")
    train, val = sets["train"], sets["val"]
    weights, bias = fit_logistic(vectors["train"], train.labels.astype(np.float32), train.known)
    thresholds = choose_thresholds(
        np.vstack([vectors["train"], vectors["val"]]),
        np.vstack([train.labels, val.labels]),
        np.vstack([train.known, val.known]),
        train.keys + val.keys,
    )
    log(f"thresholds: {thresholds}")
    return FittedHead(weights, bias, thresholds, counts)


def refit_intents(
    model_dir: Path,
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] = print,
    corrections: Sequence[LabeledExample] = (),
    lower_layer: int | None = LOWER_LAYER,
) -> dict[str, object]:
    """Give the model in ``model_dir`` a refit intent head; returns its new metadata.

    Adds the ``pooled`` output to the graph if it lacks one, fits the head (on the weak
    labels, plus ``corrections`` that set intents), writes ``intent-head.npz`` and records
    the head, its thresholds and the phrase rules in ``metadata.json``. The weak sets are
    loaded first, so missing data fails before any file is touched. With ``lower_layer``
    a newly added ``pooled`` also holds that encoder layer's mean (``expose_pooled``); a
    graph that already has ``pooled`` keeps it as it is.
    """
    import json

    from groundswell.enrichment.model.artifacts import METADATA_FILE, read_metadata

    sets = weak_sets(data_dir, corrections)
    metadata = read_metadata(str(model_dir))
    net = _pooled_net(model_dir, metadata, lower_layer)
    vectors = {split: pooled_vectors(net, s.texts) for split, s in sets.items()}
    head = fit_head_on(sets, vectors, log)
    save_head(model_dir / HEAD_FILE, head.weights, head.bias)
    metadata = {**metadata, **head_metadata(metadata, head)}
    n_corrections = sum(k.startswith(f"{CORRECTION_KEY}:") for k in sets["train"].keys)
    metadata["training"]["intent_head"]["corrections"] = n_corrections
    if lower_layer is not None:
        metadata["training"]["intent_head"]["lower_layer"] = lower_layer
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return metadata


def _pooled_net(
    model_dir: Path, metadata: dict[str, object], lower_layer: int | None = None
) -> OnnxTextModel:
    """The model's graph with a ``pooled`` output; added (needs ``onnx``) only if missing."""
    files = metadata["files"]
    assert isinstance(files, dict)

    def load() -> OnnxTextModel:
        return OnnxTextModel(
            str(files["model"]),
            max_length=int(str(metadata["max_length"])),
            tokenizer_file=str(files["tokenizer"]),
            directory=str(model_dir),
        )

    net = load()
    if POOLED_OUTPUT in net.output_names:
        return net
    expose_pooled(model_dir / str(files["model"]), lower_layer)
    return load()


def head_metadata(metadata: dict[str, object], head: FittedHead) -> dict[str, object]:
    """The metadata keys a refit head sets (files, thresholds, versions, settings)."""
    files = dict(metadata.get("files", {}))  # type: ignore[call-overload]
    training = dict(metadata.get("training", {}))  # type: ignore[call-overload]
    training["intent_head"] = {
        "method": "logistic regression per intent on the frozen pooled sentence vector",
        "data": "weak labels: airline + SemEval train splits, twcs posts by authors "
        "outside the hand-labelled sample; hand purchase labels of 260 of those posts "
        "(training/data/purchase_train.jsonl); agents' intent corrections when retrained",
        "thresholds": f"best F1, {FOLDS}-fold out-of-fold predictions on train + val; "
        "purchase intent: best F1 of the head against the hand labels of "
        "training/data/purchase_train.jsonl (out-of-fold)",
        "l2": L2,
        "steps": STEPS,
        "positive_weight_cap": POSITIVE_WEIGHT_CAP,
        "weak_positives": head.counts,
    }
    return {
        "files": {**files, "intent_head": HEAD_FILE},
        "intent_thresholds": head.thresholds,
        "intent_rules": True,
        "intent_version": f"{metadata['version']}+{HEAD_REVISION}",
        "training": training,
    }


def expose_pooled(model_file: Path, lower_layer: int | None = None) -> None:
    """Add the sentence vector the intent head reads as a graph output named ``pooled``.

    It is the input of the graph's own intent head (in the int8 graph, of the dynamic
    quantiser in front of it): found by walking back from ``intent_logits``. Nothing is
    recomputed, so the sentiment logits are bit for bit what they were. Needs ``onnx``
    (the ``train`` extra).

    With ``lower_layer``, ``pooled`` is that vector followed by the same mean pooling of
    encoder layer ``lower_layer``'s output (0-based): 768 numbers, not 384. When every
    layer is fine-tuned for sentiment, the last layer's vector forgets what tells a
    purchase from a complaint; a lower layer keeps more of the words themselves.
    """
    import onnx

    model = onnx.load(str(model_file))
    graph = model.graph
    if any(o.name == POOLED_OUTPUT for o in graph.output):
        return
    producers = {out: node for node in graph.node for out in node.output}
    initializers = {i.name for i in graph.initializer}
    frontier, seen, pooled = ["intent_logits"], set(), None
    while frontier and pooled is None:
        node = producers.get(frontier.pop(0))
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if (
            node.op_type in ("DynamicQuantizeLinear", "MatMul", "Gemm")
            and node.input[0] not in initializers
        ):
            pooled = node.input[0]
            break
        frontier += [i for i in node.input if i and i not in initializers]
    if pooled is None:
        raise ValueError(f"{model_file}: no input of the intent head found")
    if lower_layer is not None:
        pooled = _append_lower_layer(graph, producers, pooled, lower_layer, model_file)
    graph.node.append(onnx.helper.make_node("Identity", [pooled], [POOLED_OUTPUT]))
    graph.output.append(
        onnx.helper.make_tensor_value_info(POOLED_OUTPUT, onnx.TensorProto.FLOAT, ["batch", None])
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(model_file))


def _append_lower_layer(
    graph: Any, producers: dict[str, Any], pooled: str, layer: int, model_file: Path
) -> str:
    """Nodes that mean-pool layer ``layer`` as the last layer is pooled, and concatenate.

    The pooling the export wrote is ``Div(ReduceSum(Mul(hidden, mask), axes), count)``;
    the new branch reuses its mask, axes and count, so padding is handled the same way.
    """
    import onnx

    div = producers.get(pooled)
    total = producers.get(div.input[0]) if div is not None else None
    product = producers.get(total.input[0]) if total is not None else None
    ops = tuple(n.op_type if n is not None else None for n in (div, total, product))
    if div is None or total is None or product is None or ops != ("Div", "ReduceSum", "Mul"):
        raise ValueError(f"{model_file}: the sentence vector is not a masked mean")
    hidden = (
        f"/encoder/encoder/layer.{layer}/output/LayerNorm/LayerNormalization_output_0"
        if layer >= 0
        else "EmbedLayerNormalization_0_output"
    )
    if hidden not in producers:
        raise ValueError(f"{model_file}: no output of encoder layer {layer}")
    last, mask = product.input
    if producers.get(last) is None or producers[last].op_type != "LayerNormalization":
        last, mask = mask, last
    prefix = f"/pooled_layer{layer}".replace("-", "m")
    make = onnx.helper.make_node
    graph.node.extend(
        [
            make("Mul", [hidden, mask], [f"{prefix}/masked"], name=f"{prefix}/Mul"),
            make(
                "ReduceSum",
                [f"{prefix}/masked", total.input[1]],
                [f"{prefix}/sum"],
                name=f"{prefix}/ReduceSum",
                keepdims=0,
            ),
            make("Div", [f"{prefix}/sum", div.input[1]], [f"{prefix}/mean"], name=f"{prefix}/Div"),
            make(
                "Concat",
                [pooled, f"{prefix}/mean"],
                [f"{prefix}/both"],
                name=f"{prefix}/Concat",
                axis=1,
            ),
        ]
    )
    return f"{prefix}/both"
