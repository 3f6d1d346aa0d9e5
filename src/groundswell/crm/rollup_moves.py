"""Moving a stored post's contribution in the per-minute rollups when its labels change.

The rollups are a sum over inbound posts of (1, score) in the cell of the post's minute,
channel, label and each subject it matched (plus ``ALL_POSTS``). When a correction or a
re-score changes a post, the difference of its old and new contributions is added, so the
rollups stay equal to what a fresh import with the new labels would have produced: no
post counted twice, none lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from groundswell.listening.rollups import RollupInput, RollupKey, aggregate


@dataclass(frozen=True, slots=True)
class Counted:
    """What decides where a post counts: the fields the rollups are keyed and summed on."""

    created_at: datetime
    channel_id: int
    direction: str
    sentiment_label: str | None
    sentiment_score: float | None
    subject_ids: tuple[int, ...]

    def as_input(self) -> RollupInput | None:
        """``None`` for posts the rollups leave out: outbound ones and unlabelled ones."""
        if self.direction != "in" or self.sentiment_label is None:
            return None
        return RollupInput(
            created_at=self.created_at,
            channel_id=self.channel_id,
            sentiment_label=self.sentiment_label,
            sentiment_score=self.sentiment_score or 0.0,
            subject_ids=self.subject_ids,
        )


def rollup_moves(
    changes: Iterable[tuple[Counted, Counted]],
) -> dict[RollupKey, tuple[int, float]]:
    """The deltas that take each post's contribution from its old state to its new one.

    Cells whose count and sum both cancel are dropped, so an unchanged post writes nothing.
    """
    olds: list[RollupInput] = []
    news: list[RollupInput] = []
    for old, new in changes:
        if old == new:
            continue
        if (before := old.as_input()) is not None:
            olds.append(before)
        if (after := new.as_input()) is not None:
            news.append(after)
    acc: dict[RollupKey, list[float]] = defaultdict(lambda: [0, 0.0])
    for key, (count, total) in aggregate(olds).items():
        acc[key][0] -= count
        acc[key][1] -= total
    for key, (count, total) in aggregate(news).items():
        acc[key][0] += count
        acc[key][1] += total
    return {
        key: (int(count), float(total))
        for key, (count, total) in acc.items()
        if count != 0 or total != 0.0
    }
