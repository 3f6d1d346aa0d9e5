"""Keep the rollup current in the transaction that changes a case.

Engagement knows nothing of analytics (the arrows point the other way), so instead of a
call in each of engagement's services, a session ``after_flush`` listener notes the cases
whose row, replies, timeline or CSAT survey were just written and refreshes their share of
the rollup with the same connection before the transaction commits. Any code path that
changes a case through the ORM is covered, including ones written later; a path that writes
cases with raw SQL must call ``rollup.refresh`` itself (or run ``groundswell analytics
rebuild``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from groundswell.engagement.models import Case, CaseEvent
from groundswell.engagement.reply_models import CsatSurvey, OutboundReply

_installed = False
DISABLE_KEY = "analytics.rollup.off"
"""``session.info[DISABLE_KEY] = True`` skips the hook (bulk loaders that rebuild after)."""


def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Case):
            if obj.id is not None:
                ids.add(obj.id)
        elif isinstance(obj, OutboundReply | CsatSurvey | CaseEvent) and obj.case_id is not None:
            ids.add(obj.case_id)
    return ids


def _after_flush(session: Session, flush_context: Any) -> None:
    if session.info.get(DISABLE_KEY):
        return
    ids = _touched(session)
    if ids:
        from groundswell.analytics.engagement.rollup import refresh

        refresh(session, ids)


def install() -> None:
    """Listen on every session of the process (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    _installed = True
