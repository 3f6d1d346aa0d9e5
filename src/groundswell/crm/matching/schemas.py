"""Shapes of identity matching at the edges: candidate pairs, reports, the merge log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class CandidateRead(BaseModel):
    """Two contacts that may be one person, the probability and the evidence for it."""

    id: int
    left_contact_id: int
    right_contact_id: int
    left_name: str | None
    right_name: str | None
    left_handles: list[str]
    right_handles: list[str]
    probability: float
    evidence: list[dict[str, Any]]
    """Per field: ``field``, ``level``, ``detail``, ``weight`` (log2 Bayes factor), ``agrees``."""
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class MatchReport(BaseModel):
    contacts: int = 0
    compared: int = 0
    """Candidate pairs produced by blocking (before scoring)."""
    candidates: int = 0
    """Pairs at or above the review threshold, filed or refreshed."""
    merged: int = 0


class MergeEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kept_contact_id: int
    merged_contact_id: int
    candidate_id: int | None
    actor: str
    reason: str
    moved: dict[str, int]
    """How many rows of each table moved to the kept contact."""
    created_at: datetime
    undone_at: datetime | None
    undone_by: str | None
