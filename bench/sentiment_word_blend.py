"""Does a word-count model beside the network move airline accuracy? (measured, not shipped)

Airline accuracy stops near 85 % with the network alone (`docs/benchmarks.md`, "Airline's
weight and its annotators' agreement"). A bag of words and word pairs, trained on the
same two train splits, sees airline-specific wording at nearly no run-time cost. This
trains one (TF-IDF of unigrams and bigrams seen at least twice, sublinear counts,
multinomial logistic regression with an L2 penalty, SemEval classes balanced as in
training), adds ``weight`` × its logits to the shipped model's, and prints both held-out
splits of both sets for each weight and penalty, so a blend could be chosen on
validation alone.

    .venv/bin/python -m bench.sentiment_word_blend
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.text import normalize
from groundswell.training.datasets import DEFAULT_DATA_DIR, by_split, load_airline, load_semeval
from groundswell.training.examples import LabeledExample
from groundswell.training.metrics import sentiment_scores

WORD = re.compile(r"[#@]?\w[\w']*")
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)
PENALTIES = (1.0, 3.0, 10.0)


def grams(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class Tfidf:
    def __init__(self, texts: Sequence[str]) -> None:
        df: Counter[str] = Counter()
        for t in texts:
            df.update(set(grams(t)))
        kept = sorted(g for g, n in df.items() if n >= 2)
        self.index = {g: i for i, g in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[g])) + 1 for g in kept])

    def __call__(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r, t in enumerate(texts):
            counts = Counter(g for g in grams(t) if g in self.index)
            if not counts:
                continue
            idx = [self.index[g] for g in counts]
            v = np.array([1 + math.log(c) for c in counts.values()]) * self.idf[idx]
            v /= np.linalg.norm(v)
            rows += [r] * len(idx)
            cols += idx
            vals += list(v)
        shape = (len(texts), len(self.index))
        return sparse.csr_matrix((vals, (rows, cols)), shape=shape)


def fit_logistic(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, weighted NLL + ||W||² / (2c), by L-BFGS."""
    k, d = 3, x.shape[1]
    onehot = np.eye(k)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = theta[: d * k].reshape(d, k), theta[d * k :]
        z = x @ coef + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        nll = -float(np.sum(w * np.log(p[np.arange(len(y)), y] + 1e-12)))
        g = (p - onehot) * w[:, None]
        grad_coef = x.T @ g + coef / c
        value = nll + float(np.sum(coef * coef)) / (2 * c)
        return value, np.concatenate([np.asarray(grad_coef).ravel(), g.sum(axis=0)])

    theta = optimize.minimize(
        loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    ).x
    return theta[: d * k].reshape(d, k), theta[d * k :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    sets: dict[str, list[LabeledExample]] = {}
    for name, records in (
        ("SemEval", load_semeval(args.data_dir)),
        ("airline", load_airline(args.data_dir)),
    ):
        for split in ("train", "val", "test"):
            sets[f"{name} {split}"] = by_split(records, split)
    texts = {k: [normalize(e.text) for e in v] for k, v in sets.items()}
    gold = {
        k: np.array([SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in v])
        for k, v in sets.items()
    }
    model = SentimentIntentModel()
    held = [k for k in sets if not k.endswith("train")]
    network = {k: model.logits(texts[k]).sentiment for k in held}
    train_texts = texts["SemEval train"] + texts["airline train"]
    y = np.concatenate([gold["SemEval train"], gold["airline train"]])
    weight = np.ones(len(y))
    sem = gold["SemEval train"]
    for c in range(3):
        weight[: len(sem)][sem == c] = float(np.mean(sem == c)) ** -0.5
    weight /= weight.mean()
    vectorise = Tfidf(train_texts)
    x = vectorise(train_texts)
    print(f"{len(train_texts):,} training posts, {x.shape[1]:,} word and pair features")
    print("| penalty c | weight | " + " | ".join(held) + " |")
    print("|---:|---:|" + "---:|" * len(held))
    for c in PENALTIES:
        coef, bias = fit_logistic(x, y, weight, c)
        words = {k: vectorise(texts[k]) @ coef + bias for k in held}
        alone = [_cell(k, gold[k], words[k].argmax(axis=1)) for k in held]
        print(f"| {c:g} | words alone | " + " | ".join(alone) + " |")
        for w in WEIGHTS:
            cells = [_cell(k, gold[k], (network[k] + w * words[k]).argmax(axis=1)) for k in held]
            print(f"| {c:g} | {w:g} | " + " | ".join(cells) + " |")


def _cell(name: str, gold: np.ndarray, predicted: np.ndarray) -> str:
    s = sentiment_scores(list(gold), list(predicted))
    value = s["macro_recall"] if name.startswith("SemEval") else s["accuracy"]
    return f"{100 * float(value or 0.0):.1f}"


if __name__ == "__main__":
    main()
