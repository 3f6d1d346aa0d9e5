"""The case priority score (0–100) and why: the inbox is sorted by it.

Each input adds points; the reasons are kept so the case can say "why is this first".
``customer_value`` is an input in [0, 1]: the contact's customer-lifetime-value percentile
among valued customers (``cases.value_of``, from the latest BG/NBD + Gamma-Gamma fit); a
contact with no purchases, or a store with no fit yet, has the neutral 0.5, which adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NEUTRAL_VALUE = 0.5

INTENT_POINTS = {
    "complaint": 15.0,
    "churn": 25.0,
    "cancel": 25.0,
    "refund": 12.0,
    "billing": 10.0,
    "outage": 20.0,
    "question": 5.0,
    "praise": -5.0,
}

LABELS = ((75, "urgent"), (50, "high"), (25, "normal"), (0, "low"))


@dataclass(frozen=True, slots=True)
class PriorityInputs:
    sentiment_score: float | None = None
    """Compound sentiment in [-1, 1] of the latest customer message."""
    intents: tuple[str, ...] = ()
    influence: float = 0.0
    """The author's influence in [0, 100] (enrichment's followers, engagement, verified)."""
    sla_risk: float = 0.0
    """0 far from breach … 1 at or past breach."""
    customer_value: float = NEUTRAL_VALUE
    manual_boost: float = 0.0


@dataclass(frozen=True, slots=True)
class Priority:
    score: float
    label: str
    reasons: tuple[tuple[str, float], ...] = field(default=())
    """(why, points) in the order of weight, largest first."""


def score(inputs: PriorityInputs) -> Priority:
    reasons: list[tuple[str, float]] = [("base", 20.0)]
    if inputs.sentiment_score is not None and inputs.sentiment_score < 0:
        reasons.append(("negative sentiment", round(-inputs.sentiment_score * 25.0, 1)))
    for intent in inputs.intents:
        points = INTENT_POINTS.get(intent)
        if points:
            reasons.append((f"intent: {intent}", points))
    influence = min(max(inputs.influence / 100.0, 0.0), 1.0)
    if influence > 0:
        reasons.append(("author influence", round(influence * 20.0, 1)))
    risk = min(max(inputs.sla_risk, 0.0), 1.0)
    if risk > 0:
        reasons.append(("SLA risk", round(risk * 25.0, 1)))
    value = min(max(inputs.customer_value, 0.0), 1.0)
    if value != NEUTRAL_VALUE:
        reasons.append(("customer value", round((value - NEUTRAL_VALUE) * 20.0, 1)))
    computed = min(max(sum(p for _, p in reasons), 0.0), 100.0)
    total = _with_level(computed, inputs.manual_boost)
    if total != computed:
        reasons.append(("priority set by a rule or a person", round(total - computed, 1)))
    label = next(name for floor, name in LABELS if total >= floor)
    reasons.sort(key=lambda r: -abs(r[1]))
    return Priority(round(total, 1), label, tuple(reasons))


PRIORITY_BOOST = {"low": -15.0, "normal": 0.0, "high": 25.0, "urgent": 50.0}
"""The level a rule or a person set, as stored on the case (``priority_boost``)."""

_BANDS = {-15.0: 0.0, 25.0: 50.0, 50.0: 75.0}
"""A set level's floor: its cases' scores are squeezed into that label's band."""


def _with_level(computed: float, boost: float) -> float:
    """The score once a level is set: the computed score squeezed into that level's band
    (urgent 75–100, high 50–75, low 0–25), so every case set to urgent is urgent and the
    signals still order them. Adding points instead put every urgent complaint at the
    100 cap, and an inbox of ties at 100 says nothing about which comes first."""
    floor = _BANDS.get(boost)
    if floor is None:
        return computed
    return round(floor + computed * 0.25, 1)
