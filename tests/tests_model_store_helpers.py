"""A model folder for store tests: the shipped model's files under another version."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

SHIPPED_DIR = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))


def candidate_folder(folder: Path, version: str, *, thresholds: float | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("sentiment-intent.int8.onnx", "tokenizer.json", "metadata.json"):
        shutil.copy(SHIPPED_DIR / name, folder / name)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["version"] = version
    if thresholds is not None:
        meta["intent_thresholds"] = dict.fromkeys(meta["intent_thresholds"], thresholds)
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder
