"""Can a fixed class bias on the sentiment logits meet both sentiment targets at once?

Macro-recall rewards balanced recall (SemEval: many neutral posts), accuracy rewards the
majority class (airline: mostly negative), so moving the decision between classes trades
one figure for the other. This scans a bias added to the calibrated logits of the
negative and positive classes (neutral fixed at 0), chooses it on the validation splits
only, and prints the test figures beside. A row meeting both targets on validation would
be worth shipping; the scan shows whether one exists.

    .venv/bin/python -m bench.sentiment_bias                 # the shipped model
    .venv/bin/python -m bench.sentiment_bias build/model-a   # another model folder
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.artifacts import METADATA_FILE
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.text import normalize
from groundswell.training.datasets import DEFAULT_DATA_DIR, by_split, load_airline, load_semeval

SHIPPED = Path(__file__).resolve().parents[1] / "src/groundswell/enrichment/model/data"
TARGETS = (72.0, 85.0)
"""SemEval macro-recall and airline accuracy, per cent (issue 12)."""
GRID = np.round(np.arange(-1.0, 1.0001, 0.05), 2)

Split = tuple[np.ndarray, np.ndarray]


def _figures(bias: np.ndarray, semeval: Split, airline: Split) -> tuple[float, float]:
    (s_logits, s_gold), (a_logits, a_gold) = semeval, airline
    s_pred = (s_logits + bias).argmax(axis=1)
    a_pred = (a_logits + bias).argmax(axis=1)
    recall = np.mean([np.mean(s_pred[s_gold == c] == c) for c in range(len(SENTIMENT_LABELS))])
    return 100 * float(recall), 100 * float(np.mean(a_pred == a_gold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model", nargs="?", type=Path, default=SHIPPED)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    if not (args.model / METADATA_FILE).is_file():
        parser.error(f"not a model folder (no {METADATA_FILE}): {args.model}")
    metadata = json.loads((args.model / METADATA_FILE).read_text())
    temperature = float(metadata["temperature"])
    model = SentimentIntentModel(str(args.model))
    splits: dict[str, Split] = {}
    for name, records in (
        ("semeval", load_semeval(args.data_dir)),
        ("airline", load_airline(args.data_dir)),
    ):
        for split in ("val", "test"):
            examples = by_split(records, split)
            logits = model.logits([normalize(e.text) for e in examples]).sentiment / temperature
            gold = np.array([SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in examples])
            splits[f"{name} {split}"] = (logits, gold)
    rows = []
    for negative in GRID:
        for positive in GRID:
            bias = np.array([negative, 0.0, positive])
            val = _figures(bias, splits["semeval val"], splits["airline val"])
            test = _figures(bias, splits["semeval test"], splits["airline test"])
            rows.append((float(negative), float(positive), *val, *test))
    table = np.array(rows)
    margin = np.minimum(table[:, 2] - TARGETS[0], table[:, 3] - TARGETS[1])
    none = int(np.flatnonzero((table[:, 0] == 0) & (table[:, 1] == 0))[0])
    airline_kept = table[:, 3] >= table[none, 3]
    chosen = {
        "no bias": none,
        "best SemEval with airline not lower": int(
            np.argmax(np.where(airline_kept, table[:, 2], -1))
        ),
        "closest to both targets (largest smaller margin)": int(np.argmax(margin)),
        "best sum of both figures over their targets": int(
            np.argmax(table[:, 2] / TARGETS[0] + table[:, 3] / TARGETS[1])
        ),
    }
    both = int(np.sum((table[:, 2] >= TARGETS[0]) & (table[:, 3] >= TARGETS[1])))
    version = metadata.get("version", args.model)
    print(f"model {version}, temperature {temperature}, {len(table)} biases scanned")
    print(
        "| choice (on validation) | bias neg / pos | SemEval val | airline val |"
        " SemEval test | airline test |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for label, i in chosen.items():
        n, p, sv, av, st, at = table[i]
        print(f"| {label} | {n:+.2f} / {p:+.2f} | {sv:.1f} | {av:.1f} % | {st:.1f} | {at:.1f} % |")
    print(f"biases meeting both targets on validation: {both} of {len(table)}")


if __name__ == "__main__":
    main()
