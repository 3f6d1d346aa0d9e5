"""A model's scores on a fixed evaluation set, kept in the store so a retrain scores the
active model on each fixed set once, not at every retrain.

Every retrain judges the candidate against the active model on the same fixed sets (the
SemEval and airline test splits, the hand-labelled intent sample): scoring the active
model again gives the same figures each time and costs as much as scoring the candidate.
A stored version's files never change, so its scores are kept under its number; the
shipped model is keyed by a digest of its files, so a package upgrade is scored afresh.
A set is keyed by a digest of its texts and labels (and of ``SCORER``), so a changed data
file is scored afresh too. The corrections held out of each retrain differ every time
and are never cached.

    <root>/scores/v3/intent_sample-<digest>.json
    <root>/scores/shipped-<digest>/semeval_test-<digest>.json
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from groundswell.enrichment.model.store import SHIPPED, ModelStore
from groundswell.training.examples import LabeledExample

SCORER = "score-1"
"""Changes when ``retrain.score`` computes something else, so older files are not used."""

Scores = dict[str, float | None]


def set_digest(examples: Sequence[LabeledExample]) -> str:
    h = hashlib.sha256(SCORER.encode())
    for e in examples:
        row = [e.text, e.sentiment, list(e.intents) if e.intents is not None else None]
        h.update(json.dumps(row, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()[:24]


def model_key(store: ModelStore, number: int) -> str:
    """``v<number>`` for a stored version; for the shipped model, a digest of its files."""
    if number != SHIPPED:
        return f"v{number}"
    folder = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))
    h = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        h.update(path.name.encode())
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                h.update(block)
    return f"shipped-{h.hexdigest()[:24]}"


def _path(store: ModelStore, key: str, name: str, digest: str) -> Path:
    return store.root / "scores" / key / f"{name}-{digest}.json"


def cached(store: ModelStore, key: str, name: str, digest: str) -> Scores | None:
    """The kept scores, or None when absent or unreadable (then they are computed)."""
    try:
        data = json.loads(_path(store, key, name, digest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): (float(v) if isinstance(v, int | float) else None) for k, v in data.items()}


def keep(store: ModelStore, key: str, name: str, digest: str, scores: Scores) -> None:
    """Write atomically: a reader never sees half a file."""
    path = _path(store, key, name, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".scores-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(scores, stream)
    os.replace(tmp, path)
