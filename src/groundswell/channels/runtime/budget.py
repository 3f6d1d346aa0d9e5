"""A monthly cost budget that sheds activities in a fixed order instead of failing.

Paid networks (X's reads) cost per post read. As a month's spend nears the budget the
connector stops the least valuable activity first: keyword search (the filtered stream)
at 80 %, mentions at 90 %, direct messages at 97 %; replies are never shed by the budget
(a customer who was answered once must be answerable again), only by the network's own
limits. The order and thresholds are documented in docs/adding-a-connector.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SHED_ORDER: tuple[tuple[str, float], ...] = (
    ("search", 0.80),
    ("mentions", 0.90),
    ("dms", 0.97),
)
"""(activity, fraction of the budget at which it stops), first shed first."""


def month_key(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"


@dataclass(frozen=True, slots=True)
class BudgetState:
    monthly: float | None
    """The month's budget in the account's currency; None: unlimited."""
    used: float

    @property
    def fraction(self) -> float:
        if not self.monthly:
            return 0.0
        return self.used / self.monthly

    def allows(self, activity: str) -> bool:
        """Whether ``activity`` may still run this month ("replies" always may)."""
        if not self.monthly:
            return True
        for name, threshold in SHED_ORDER:
            if name == activity:
                return self.fraction < threshold
        return True

    def shed(self) -> list[str]:
        """Activities stopped by the budget right now, in shedding order."""
        return [name for name, _ in SHED_ORDER if not self.allows(name)]
