"""Table handles and chunked per-scope lookups shared by the remember stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from groundswell.core.upsert import chunks
from groundswell.crm.models import (
    Contact,
    ContactKey,
    Conversation,
    Identity,
    Interaction,
    InteractionSubject,
)
from groundswell.crm.threading import Key

CHUNK = 500

IDENTITIES = cast(Table, Identity.__table__)
CONTACTS = cast(Table, Contact.__table__)
CONTACT_KEYS = cast(Table, ContactKey.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
INTERACTIONS = cast(Table, Interaction.__table__)
INTERACTION_SUBJECTS = cast(Table, InteractionSubject.__table__)


def rows_in(
    session: Session,
    columns: Sequence[Any],
    *,
    scope: Any,
    key: Any,
    wanted: dict[Any, set[str]],
    extra: Sequence[Any] = (),
) -> Iterator[tuple[Any, Any]]:
    """(scope value, row) for rows whose ``key`` is among the wanted keys of their scope.

    Lookups go per scope (a channel, a platform) and in chunks, so each query can use
    the (scope, key) unique index and stays under the engines' parameter limits.
    """
    for scope_value, keys in wanted.items():
        for part in chunks(sorted(keys), CHUNK):
            query = select(*columns).where(scope == scope_value, key.in_(part), *extra)
            for row in session.execute(query):
                yield scope_value, row


def by_channel(keys: Iterable[Key], channel_ids: dict[str, int]) -> dict[int, set[str]]:
    wanted: dict[int, set[str]] = defaultdict(set)
    for channel, external_id in keys:
        wanted[channel_ids[channel]].add(external_id)
    return wanted
