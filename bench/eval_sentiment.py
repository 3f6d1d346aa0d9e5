"""``make eval-sentiment``: the lexicon, TextBlob and the shipped model side by side.

On the held-out test splits of SemEval-2017 and the airline tweets (never seen in
training; see ``groundswell.training.datasets``): macro-recall, accuracy, macro-F1 and
calibration error; throughput on this machine; intent precision, recall, F1 and support
on the hand-labelled held-out sample; and cross-domain figures (train on one data set,
test on the other)
for a logistic head on the frozen base encoder, the one set-up cheap enough to retrain
here twice.

    .venv/bin/python -m bench.eval_sentiment [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from bench.machine import commit, cpu_model, load
from groundswell.enrichment.embeddings import embed
from groundswell.enrichment.model.calibration import (
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.text import normalize
from groundswell.enrichment.sentiment import VaderSentiment
from groundswell.training.datasets import by_split, load_airline, load_semeval
from groundswell.training.evaluate import (
    Scores,
    gold_labels,
    model_probabilities,
    score_labels,
    score_probabilities,
)
from groundswell.training.examples import LabeledExample
from groundswell.training.intent_sample import load_intent_sample

TARGETS = (
    "targets: macro-recall ≥ 72 (SemEval), accuracy ≥ 85 % (airline), ECE ≤ 0.03 on each "
    "held-out set (also with the temperature fitted on the other source), model ≥ 600 posts/s"
)


def textblob_labels(texts: Sequence[str]) -> list[str]:
    """TextBlob's pattern-lexicon polarity with the same ±0.05 neutral band as VADER."""
    from textblob import TextBlob

    out = []
    for text in texts:
        polarity = float(TextBlob(text).sentiment.polarity)
        out.append(
            "positive" if polarity >= 0.05 else "negative" if polarity <= -0.05 else "neutral"
        )
    return out


def throughput(
    work: Callable[[list[str]], object], texts: list[str], repeat: int
) -> tuple[float, float]:
    """Best posts/s over ``repeat`` runs, and posts per CPU-second of this process."""
    best, per_cpu = 0.0, 0.0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best = max(best, len(texts) / wall)
        per_cpu = max(per_cpu, len(texts) / max(cpu, 1e-9))
    return best, per_cpu


def fit_softmax(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 400) -> np.ndarray:
    """Multinomial logistic regression by full-batch gradient descent (deterministic)."""
    xb = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype(np.float64)
    w = np.zeros((xb.shape[1], 3))
    onehot = np.eye(3)[y]
    for _ in range(steps):
        z = xb @ w
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        w -= 2.0 * (xb.T @ (p - onehot) / len(xb) + l2 * w)
    return w


def predict_softmax(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype(np.float64) @ w
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def cross_domain(
    train: dict[str, list[LabeledExample]], test: dict[str, list[LabeledExample]]
) -> dict[str, Scores]:
    vectors = {
        f"{k}:{s}": embed([e.text for e in v])
        for s, d in (("train", train), ("test", test))
        for k, v in d.items()
    }
    out = {}
    for source in train:
        w = fit_softmax(vectors[f"{source}:train"], np.array(gold_labels(train[source])))
        for target in test:
            out[f"{source} → {target}"] = score_probabilities(
                test[target], predict_softmax(w, vectors[f"{target}:test"])
            )
    return out


def calibration_across_sources(
    model: SentimentIntentModel,
    val: dict[str, list[LabeledExample]],
    test: dict[str, list[LabeledExample]],
) -> list[str]:
    """ECE on each test split with the temperature fitted on the *other* source's
    validation split only, beside the shipped temperature (fitted on both): how the
    calibration holds on a data set it was not fitted on."""
    logits = {
        (name, split): model.logits([normalize(e.text) or "." for e in examples]).sentiment
        for split, sets in (("val", val), ("test", test))
        for name, examples in sets.items()
    }

    def labels(examples: list[LabeledExample]) -> np.ndarray:
        return np.array(gold_labels(examples))

    lines = [
        "| test split | temperature fitted on | temperature | ECE |",
        "|---|---|---|---|",
    ]
    for target in test:
        y = labels(test[target])
        fitted = [("none", 1.0), ("shipped (all validation splits)", model.temperature)]
        fitted += [
            (f"{source} validation only", fit_temperature(logits[(source, "val")], labels(v)))
            for source, v in val.items()
            if source != target
        ]
        for name, t in fitted:
            ece = expected_calibration_error(softmax(logits[(target, "test")], t), y)
            lines.append(f"| {target} | {name} | {t:.4f} | {ece:.3f} |")
    return lines


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def row(name: str, scores: Scores) -> str:
    ece = scores["ece"]
    return (
        f"| {name} | {pct(scores['macro_recall'])} | {pct(scores['accuracy'])} | "
        f"{pct(scores['macro_f1'])} | {'—' if ece is None else f'{ece:.3f}'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (best is kept)")
    parser.add_argument(
        "--no-cross-domain",
        action="store_true",
        help="skip the cross-domain section (it embeds 31,000 posts: minutes on a busy machine)",
    )
    args = parser.parse_args()
    semeval, airline = load_semeval(), load_airline()
    test = {"semeval": by_split(semeval, "test"), "airline": by_split(airline, "test")}
    train = {"semeval": by_split(semeval, "train"), "airline": by_split(airline, "train")}
    model = SentimentIntentModel()
    vader = VaderSentiment()

    print(f"# eval-sentiment — model {model.version}, commit {commit()}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, load {load()} (before)\n")
    print(TARGETS + "\n")
    for name, examples in test.items():
        texts = [e.text for e in examples]
        print(f"## {name} held-out test split ({len(examples)} posts)\n")
        print("| analyzer | macro-recall | accuracy | macro-F1 | ECE |")
        print("|---|---|---|---|---|")
        print(
            row(
                "VADER (lexicon mode)",
                score_labels(examples, [vader.analyze(t).label for t in texts]),
            )
        )
        print(row("TextBlob", score_labels(examples, textblob_labels(texts))))
        print(
            row(
                f"{model.version} (model mode)",
                score_probabilities(examples, model_probabilities(model, examples)),
            )
        )
        print()

    print("## Calibration across sources (ECE target ≤ 0.03 on a set not calibrated on)\n")
    val = {"semeval": by_split(semeval, "val"), "airline": by_split(airline, "val")}
    for line in calibration_across_sources(model, val, test):
        print(line)
    print()

    texts = [e.text for e in test["airline"]] + [e.text for e in test["semeval"]]
    model_rate, model_cpu = throughput(model.predict_many, texts, args.repeat)
    vader_rate, vader_cpu = throughput(
        lambda ts: [vader.analyze(t) for t in ts], texts, args.repeat
    )
    print(f"## Throughput ({len(texts)} test posts, best of {args.repeat}; load {load()} after)\n")
    print("| mode | posts/s (wall) | posts per CPU-second |")
    print("|---|---|---|")
    print(f"| model ({model.version}, int8 ONNX) | {model_rate:,.0f} | {model_cpu:,.0f} |")
    print(f"| lexicon (VADER) | {vader_rate:,.0f} | {vader_cpu:,.0f} |\n")

    sample = load_intent_sample()
    predictions = model.predict_many([e.text for e in sample])
    print(
        f"## Intents on the hand-labelled held-out sample ({len(sample)} posts; "
        f"intents {model.intent_version})\n"
    )
    print("target: F1 ≥ 60 for each intent\n")
    print("| intent | precision | recall | F1 | support | predicted |")
    print("|---|---|---|---|---|---|")
    for name in INTENT_LABELS:
        gold = np.array([name in (e.intents or ()) for e in sample])
        got = np.array([name in p.intents for p in predictions])
        tp = float((gold & got).sum())
        precision, recall = tp / max(1, got.sum()), tp / max(1, gold.sum())
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(
            f"| {name} | {pct(precision)} | {pct(recall)} | {pct(f1)} | "
            f"{int(gold.sum())} | {int(got.sum())} |"
        )
    print()

    if args.no_cross_domain:
        return
    print("## Cross-domain (frozen base encoder + logistic head, train split → test split)\n")
    print("| train → test | macro-recall | accuracy | macro-F1 | ECE |")
    print("|---|---|---|---|---|")
    for name, scores in cross_domain(train, test).items():
        print(row(name, scores))


if __name__ == "__main__":
    main()
