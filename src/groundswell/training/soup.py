"""``groundswell model soup``: one model from the averaged weights of several trainings.

Trainings of the same recipe from the same pre-trained encoder that differ only in their
seed (batch order, dropout, head initialisation) end near one another, and the average
of their weights is usually better than each of them and as good as running them all and
averaging their outputs (Wortsman et al., "Model soups", ICML 2022). Unlike running them
all, it costs nothing at run time: the result is one network of the same shape, exported,
calibrated and scored exactly as ``model train`` does its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from groundswell.training.datasets import DEFAULT_DATA_DIR

WEIGHTS_FILE = "weights.pt"
"""The trained parameters ``model train`` keeps beside its export (not shipped)."""

FROZEN_PREFIX = "encoder.embeddings."
"""Never trained (see ``train``), so never saved: the pre-trained values are loaded."""


class SoupError(ValueError):
    """Weights that cannot be averaged: missing, or of different networks."""


def trained_state(model: Any) -> dict[str, Any]:
    """The parameters and buffers a training changed: everything but the embeddings."""
    return {
        name: value.detach().clone()
        for name, value in model.state_dict().items()
        if not name.startswith(FROZEN_PREFIX)
    }


def _is_float(value: Any) -> bool:
    """For torch tensors and NumPy arrays alike (the tests run without torch)."""
    check = getattr(value, "is_floating_point", None)
    return bool(check()) if callable(check) else value.dtype.kind == "f"


def average_states(states: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """The element-wise mean of same-shaped weights (``names`` label errors).

    Integer buffers (position ids) are the same in every training and are taken from the
    first; averaging them would turn them into floats.
    """
    if len(states) < 2:
        raise SoupError("a soup needs the weights of at least two trainings")
    first = states[0]
    for state, name in zip(states[1:], names[1:], strict=True):
        if set(state) != set(first):
            odd = sorted(set(state) ^ set(first))[:3]
            raise SoupError(f"{name}: not the same network as {names[0]} (differs at {odd})")
        for key, value in state.items():
            if tuple(value.shape) != tuple(first[key].shape):
                raise SoupError(
                    f"{name}: {key} has shape {tuple(value.shape)}, "
                    f"{names[0]} has {tuple(first[key].shape)}"
                )
    averaged: dict[str, Any] = {}
    for key, value in first.items():
        if not _is_float(value):
            averaged[key] = value
            continue
        total = value * 1.0  # a new array or tensor, never the first state's own
        for state in states[1:]:
            total = total + state[key]
        averaged[key] = total / len(states)
    return averaged


def soup(
    output: Path,
    *,
    sources: Sequence[Path],
    version: str,
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Average the trainings in ``sources``, then export, calibrate and score to ``output``."""
    import json

    from groundswell.enrichment.model.artifacts import METADATA_FILE

    metas = []
    for folder in sources:  # before torch loads: a mistyped folder fails at once
        if not (folder / WEIGHTS_FILE).is_file() or not (folder / METADATA_FILE).is_file():
            raise SoupError(f"{folder}: no {WEIGHTS_FILE} (written by `model train`)")
        metas.append(json.loads((folder / METADATA_FILE).read_text()))
    trainings = [meta["training"] for meta in metas]
    starts = {t.get("init_seed", t.get("seed")) for t in trainings}
    if len(starts) != 1:
        raise SoupError(
            f"the trainings' heads started from different weights (init seeds {sorted(starts)}):"
            " train them with one --init-seed"
        )

    import torch

    from groundswell.enrichment.base import SENTIMENT_LABELS
    from groundswell.enrichment.model.labels import INTENT_LABELS
    from groundswell.training.calibrate import calibrate_and_score
    from groundswell.training.network import MultiTaskModel, load_encoder
    from groundswell.training.train import (
        export_model,
        new_metadata,
        training_examples,
        write_metadata,
    )

    started = time.monotonic()
    states = [
        torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        for folder in sources
    ]
    layers = {t.get("layers", 6) for t in trainings}
    if len(layers) != 1:
        raise SoupError(f"the trainings have different depths: {sorted(layers)}")
    averaged = average_states(states, [str(s) for s in sources])
    model = MultiTaskModel(load_encoder(layers.pop()), len(SENTIMENT_LABELS), len(INTENT_LABELS))
    missing, unexpected = model.load_state_dict(averaged, strict=False)
    if unexpected or any(not m.startswith(FROZEN_PREFIX) for m in missing):
        raise SoupError(f"weights do not fit the network: {(unexpected or missing)[:3]}")
    model.eval()
    log(f"averaged {len(sources)} trainings (seeds {[t.get('seed') for t in trainings]})")
    _train, held_out = training_examples(data_dir, (), None)
    output.mkdir(parents=True, exist_ok=True)
    export_model(model, output)
    torch.save(trained_state(model), output / WEIGHTS_FILE)
    first = trainings[0]
    metadata = new_metadata(
        version,
        {
            **{k: v for k, v in first.items() if k not in {"seed", "minutes"}},
            "soup_of": [
                {"folder": folder.name, "seed": t.get("seed")}
                for folder, t in zip(sources, trainings, strict=True)
            ],
        },
        max_length=int(metas[0]["max_length"]),
    )
    write_metadata(output, metadata)
    metadata = calibrate_and_score(output, metadata, held_out, log)
    metadata["training"]["minutes"] = round(
        sum(float(t.get("minutes", 0)) for t in trainings) + (time.monotonic() - started) / 60, 1
    )
    write_metadata(output, metadata)
    return metadata
