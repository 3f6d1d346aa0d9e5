"""Sentiment figures of model folders on both held-out splits of both data sets.

A training run prints its test figures; choosing between runs by them would tune to the
test splits. This prints the validation splits beside them for any number of model
folders (a trained candidate beside the shipped model, say), computed one way for all,
so runs can be compared on validation first.

    .venv/bin/python -m bench.sentiment_splits build/model-a build/model-b
    .venv/bin/python -m bench.sentiment_splits            # the shipped model alone
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS
from groundswell.enrichment.model.artifacts import METADATA_FILE
from groundswell.enrichment.model.calibration import softmax
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.text import normalize
from groundswell.training.datasets import DEFAULT_DATA_DIR, by_split, load_airline, load_semeval
from groundswell.training.metrics import sentiment_scores

SHIPPED = Path(__file__).resolve().parents[1] / "src/groundswell/enrichment/model/data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("models", nargs="*", type=Path, help="model folders (default: shipped)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    folders: list[Path] = args.models or [SHIPPED]
    missing = [str(f) for f in folders if not (f / METADATA_FILE).is_file()]
    if missing:
        parser.error(f"not a model folder (no {METADATA_FILE}): {', '.join(missing)}")
    sets = {
        f"{name} {split}": by_split(records, split)
        for name, records in (
            ("SemEval", load_semeval(args.data_dir)),
            ("airline", load_airline(args.data_dir)),
        )
        for split in ("val", "test")
    }
    print(f"splits: {', '.join(f'{k} {len(v):,}' for k, v in sets.items())}")
    print("| model | " + " | ".join(sets) + " |")
    print("|---|" + "---:|" * len(sets))
    bands: list[str] = []
    for folder in folders:
        model = SentimentIntentModel(str(folder))
        temperature = float(json.loads((folder / METADATA_FILE).read_text())["temperature"])
        cells = []
        for name, examples in sets.items():
            logits = model.logits([normalize(e.text) for e in examples]).sentiment
            probs = softmax(logits, temperature)
            gold = [SENTIMENT_LABELS.index(e.sentiment or "neutral") for e in examples]
            s = sentiment_scores(gold, list(probs.argmax(axis=1)), probs)
            cells.append(
                f"macro-recall {100 * s['macro_recall']:.1f}, accuracy "
                f"{100 * s['accuracy']:.1f} %, ECE {s['ece']:.3f}"
            )
            if name == "airline test":
                right = probs.argmax(axis=1) == np.array(gold)
                agreement = np.array([e.agreement for e in examples])
                bands.append(f"| {folder} | " + " | ".join(_band(right, agreement)) + " |")
        print(f"| {folder} | " + " | ".join(cells) + " |")
    print()
    print("airline test accuracy by the annotators' agreement on the label:")
    print("| model | agreement < 0.7 | 0.7 to < 1 | 1 (all agreed) |")
    print("|---|---:|---:|---:|")
    print("\n".join(bands))


def _band(right: np.ndarray, agreement: np.ndarray) -> list[str]:
    """Accuracy and errors in each agreement band: where a label is a coin toss among
    its annotators, no model can be right much more often than they agreed."""
    cells = []
    for low, high in ((0.0, 0.7), (0.7, 1.0), (1.0, 1.01)):
        chosen = (agreement >= low) & (agreement < high)
        n = int(chosen.sum())
        errors = int((~right[chosen]).sum())
        cells.append(f"{100 * (n - errors) / max(n, 1):.1f} % of {n:,} ({errors} wrong)")
    return cells


if __name__ == "__main__":
    main()
