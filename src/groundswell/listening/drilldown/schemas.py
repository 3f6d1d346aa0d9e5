"""What a drill-down returns, for the API and the drill-down page alike."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from groundswell.crm.schemas import SubjectRef


class WindowRead(BaseModel):
    start: datetime
    end: datetime
    posts: int
    """Inbound posts in the window (from the per-minute rollups when they exist)."""
    per_hour: float
    hours_with_data: float | None = None
    """Baseline only: the hours in which the store recorded any post at all; the rate is
    over these, since hours with nothing from any source are a gap, not a quiet time."""


class VolumeRead(BaseModel):
    focus: WindowRead
    baseline: WindowRead
    ratio: float | None
    """Focus rate over baseline rate; ``None`` when the baseline had no posts, or no
    hour with data (``baseline.hours_with_data`` 0: nothing earlier to compare with)."""


class SamplingRead(BaseModel):
    """How much was read, so nobody mistakes a sample for a census."""

    focus_read: int
    focus_complete: bool
    """True when every focus post was read; otherwise a time-stratified sample."""
    baseline_read: int
    candidates: int
    """Distinct posts embedded for samples and clusters."""


class KeyTermRead(BaseModel):
    term: str
    kind: Literal["word", "hashtag", "handle", "phrase"]
    focus_count: int
    baseline_count: int
    focus_share: float
    baseline_share: float
    g2: float
    """Dunning log-likelihood; above 6.63 the difference is significant at p < 0.01."""
    log_ratio: float
    """log₂ of focus rate over baseline rate: 1 is twice as common, 3 eight times."""


class MixRead(BaseModel):
    key: str
    label: str
    count: int
    share: float
    baseline_share: float | None = None
    """The same share over the baseline period (None: no posts there), so a mix reads
    against what is usual: an alert on negative posts shows how far the share moved."""


class AuthorRead(BaseModel):
    identity_id: int
    handle: str | None
    display_name: str | None
    platform: str
    followers: int | None
    verified: bool
    contact_id: int | None
    posts: int
    influence: float


class SamplePostRead(BaseModel):
    id: int
    text: str
    private: bool = False
    """A one-to-one message: its text is withheld from roles that may not read it."""
    created_at: datetime
    channel_key: str
    author_handle: str | None
    contact_id: int | None
    sentiment_label: str | None
    sentiment_score: float | None
    influence: float


class ClusterRead(BaseModel):
    size: int
    """Candidates in the cluster (posts read and de-duplicated, not all posts)."""
    share: float
    terms: list[str]
    examples: list[SamplePostRead]


class CooccurrenceRead(BaseModel):
    subject: SubjectRef
    focus_count: int
    focus_share: float
    baseline_share: float
    lift: float | None
    """Focus share over baseline share; ``None`` when absent from the baseline."""


class DrilldownRead(BaseModel):
    subject: SubjectRef | None
    channel: str | None
    alert_id: int | None = None
    volume: VolumeRead
    sampling: SamplingRead
    summary: str
    terms: list[KeyTermRead]
    phrases: list[KeyTermRead]
    sentiment: list[MixRead]
    channels: list[MixRead]
    authors: list[AuthorRead]
    samples: list[SamplePostRead]
    clusters: list[ClusterRead]
    cluster_method: Literal["embeddings", "terms"]
    cooccurring: list[CooccurrenceRead]
    notes: list[str] = Field(default_factory=list)
    """Caveats: samples instead of full counts, term-based clusters, missing rollups."""
    comparison: str = "the baseline"
    """What the terms were compared with: "the baseline", or "the preceding 3 hours" when
    nothing stood out against the baseline (a surge of words already rising before)."""
