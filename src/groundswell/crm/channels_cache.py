"""Channel ids by key, created on first sight and cached for the process's lifetime."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from groundswell.channels.models import Channel
from groundswell.core.upsert import dialect_insert

CHANNEL_NAMES = {
    "twitter": "X / Twitter",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "reddit": "Reddit",
    "email": "Email",
    "sms": "SMS",
    "chat": "Web chat",
}


class ChannelIds:
    """Channel rows are never deleted, so a cached id stays valid."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def resolve(self, session: Session, keys: set[str]) -> dict[str, int]:
        missing = keys - self._ids.keys()
        if missing:
            stmt = dialect_insert(session, Channel.__table__).values(
                [{"key": k, "name": CHANNEL_NAMES.get(k, k)} for k in sorted(missing)]
            )
            session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            rows = session.execute(select(Channel.key, Channel.id).where(Channel.key.in_(missing)))
            self._ids.update({k: i for k, i in rows})
        return {k: self._ids[k] for k in keys}
