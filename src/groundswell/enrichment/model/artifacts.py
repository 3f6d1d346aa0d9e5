"""Where the shipped model files are, read through ``importlib.resources``.

The files live in this package's ``data/`` folder and are installed with it, so nothing
is downloaded at run time. A ``directory`` argument reads the same names from a folder
instead: training writes a candidate model there and evaluates it before it ships.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGE = "groundswell.enrichment.model"
DATA_DIR = "data"
METADATA_FILE = "metadata.json"


class ModelFilesMissingError(RuntimeError):
    """A model file is not where it should be (a broken install or a wrong directory)."""


def _read(name: str, directory: str | None) -> bytes:
    try:
        if directory is not None:
            return (Path(directory) / name).read_bytes()
        return resources.files(PACKAGE).joinpath(DATA_DIR).joinpath(name).read_bytes()
    except (FileNotFoundError, NotADirectoryError) as exc:
        where = directory or f"{PACKAGE}/{DATA_DIR}"
        raise ModelFilesMissingError(f"model file {name!r} not found in {where}") from exc


def read_bytes(name: str, directory: str | None = None) -> bytes:
    return _read(name, directory)


def read_text(name: str, directory: str | None = None) -> str:
    return _read(name, directory).decode("utf-8")


def read_metadata(directory: str | None = None) -> dict[str, Any]:
    """The model card: version, file names, temperature, thresholds, training metrics."""
    data = json.loads(read_text(METADATA_FILE, directory))
    if not isinstance(data, dict):
        raise ModelFilesMissingError(f"{METADATA_FILE} is not a JSON object")
    return data
