"""A drill-down as one role may see it: private messages' text withheld in samples."""

from __future__ import annotations

from groundswell.crm.visibility import may_see_private, redact
from groundswell.listening.drilldown.schemas import DrilldownRead


def for_role(result: DrilldownRead, *, role: str) -> DrilldownRead:
    """Counts, terms and mixes stay (aggregates); sample and example texts follow the rule."""
    if may_see_private(role):
        return result
    return result.model_copy(
        update={
            "samples": redact(result.samples, role=role),
            "clusters": [
                c.model_copy(update={"examples": redact(c.examples, role=role)})
                for c in result.clusters
            ],
        }
    )
