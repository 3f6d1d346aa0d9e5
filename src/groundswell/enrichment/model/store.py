"""The versioned model store: every model that may score posts, and which one does.

Models trained from agents' corrections live in the data directory, never in the installed
package (an upgrade would wipe them, and the package may be read-only). Version 1 is the
model shipped with the package, read from there; each retrained candidate gets the next
number and a folder of its own with a ``card.json`` (its figures and the gate's verdict).
The ``active`` file names the version in use: it is replaced atomically, and running
workers read it every few seconds (``hot.ReloadingModel``), so promoting or rolling back
takes effect without a restart. ``history.jsonl`` records every change of version.

    <root>/active                 "3"
    <root>/history.jsonl          {"at": …, "version": 3, "reason": "retrain: gate passed"}
    <root>/versions/2/card.json   figures, gate, parent, created_at
    <root>/versions/2/*.onnx …    the model files, as training wrote them
    <root>/scores/v2/…            its scores on the fixed sets (``training.score_cache``)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from groundswell.enrichment.model.artifacts import METADATA_FILE, read_metadata

SHIPPED = 1
"""The version number of the model inside the package."""

CARD_FILE = "card.json"
ACTIVE_FILE = "active"
HISTORY_FILE = "history.jsonl"
MAX_VERSIONS = 10_000


class ModelStoreError(ValueError):
    """A store operation refused: unknown version, broken candidate; the message says which."""


@dataclass(frozen=True)
class VersionCard:
    """What the store knows of one version."""

    number: int
    version: str
    """The version string stored with every result the model produces."""
    created_at: str | None
    parent: int | None
    figures: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    active: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "version": self.version,
            "created_at": self.created_at,
            "parent": self.parent,
            "figures": self.figures,
            "gate": self.gate,
            "active": self.active,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ModelStore:
    """A model store rooted at a folder, created on first write."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    def marker(self) -> str:
        """The raw content of the active file: cheap to poll, changes on every switch."""
        try:
            return (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return str(SHIPPED)

    def active(self) -> int:
        """The version in use (the shipped one until another is activated)."""
        try:
            number = int(self.marker())
        except ValueError:
            return SHIPPED
        return number if self._exists(number) else SHIPPED

    def directory(self, number: int) -> str | None:
        """The folder holding version ``number``'s files; ``None`` for the shipped model."""
        if number == SHIPPED:
            return None
        if not self._exists(number):
            raise ModelStoreError(f"model version {number} is not in the store at {self.root}")
        return str(self.versions_dir / str(number))

    def _exists(self, number: int) -> bool:
        return number == SHIPPED or (self.versions_dir / str(number) / CARD_FILE).is_file()

    def numbers(self) -> list[int]:
        found = [SHIPPED]
        if self.versions_dir.is_dir():
            for child in self.versions_dir.iterdir():
                if child.name.isdigit() and (child / CARD_FILE).is_file():
                    found.append(int(child.name))
        return sorted(set(found))

    def card(self, number: int) -> VersionCard:
        active = self.active()
        if number == SHIPPED:
            metadata = read_metadata(None)
            return VersionCard(
                number=SHIPPED,
                version=str(metadata.get("version")),
                created_at=None,
                parent=None,
                figures={"shipped": metadata.get("metrics", {})},
                gate={},
                active=active == SHIPPED,
            )
        if not self._exists(number):
            raise ModelStoreError(f"model version {number} is not in the store at {self.root}")
        data = json.loads((self.versions_dir / str(number) / CARD_FILE).read_text("utf-8"))
        return VersionCard(
            number=number,
            version=str(data.get("version")),
            created_at=data.get("created_at"),
            parent=data.get("parent"),
            figures=dict(data.get("figures") or {}),
            gate=dict(data.get("gate") or {}),
            active=active == number,
        )

    def cards(self) -> list[VersionCard]:
        return [self.card(n) for n in self.numbers()]

    def next_number(self) -> int:
        return max(self.numbers()) + 1

    def add(
        self,
        candidate: Path,
        *,
        parent: int,
        figures: dict[str, Any],
        gate: dict[str, Any],
        number: int | None = None,
    ) -> int:
        """Copy a candidate's files in as a new version; it is not activated here.

        The files are copied into a temporary folder beside the final one and renamed in
        one step, so a reader never sees a half-written version.
        """
        try:
            metadata = read_metadata(str(candidate))
        except Exception as exc:
            raise ModelStoreError(f"{candidate} is not a model folder: {exc}") from exc
        number = number if number is not None else self.next_number()
        if number > MAX_VERSIONS:
            raise ModelStoreError(f"the store holds at most {MAX_VERSIONS} versions")
        final = self.versions_dir / str(number)
        if final.exists():
            raise ModelStoreError(f"model version {number} already exists")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{number}-", dir=self.versions_dir))
        try:
            for name in {*metadata.get("files", {}).values(), METADATA_FILE}:
                shutil.copy2(Path(candidate) / str(name), staging / str(name))
            card = {
                "number": number,
                "version": str(metadata.get("version")),
                "created_at": _now(),
                "parent": parent,
                "figures": figures,
                "gate": gate,
            }
            (staging / CARD_FILE).write_text(json.dumps(card, indent=2), encoding="utf-8")
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return number

    def activate(self, number: int, *, reason: str) -> None:
        """Make version ``number`` the one in use (promotion or rollback), atomically."""
        if not self._exists(number):
            raise ModelStoreError(f"model version {number} is not in the store at {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        previous = self.active()
        handle, tmp = tempfile.mkstemp(prefix=".active-", dir=self.root)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(f"{number}\n")
        os.replace(tmp, self.root / ACTIVE_FILE)
        entry = {"at": _now(), "version": number, "previous": previous, "reason": reason[:500]}
        with (self.root / HISTORY_FILE).open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")

    def history(self) -> list[dict[str, Any]]:
        path = self.root / HISTORY_FILE
        if not path.is_file():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return entries
