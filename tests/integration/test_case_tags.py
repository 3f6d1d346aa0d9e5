"""Case tags in their own table: kept by ``set_tags``, filled by the migration, used by
the inbox's tag filter."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select

from engagement_world import T0
from groundswell.core.db import Database
from groundswell.core.migrate import downgrade, upgrade
from groundswell.engagement import cases
from groundswell.engagement.inbox import list_cases
from groundswell.engagement.models import Case, CaseTag
from groundswell.engagement.schemas import InboxFilters
from gs_testing import make_settings


def new_case(db: Database, subject: str, tags: list[str] | None = None) -> int:
    with db.session() as s:
        case = Case(subject=subject, channel="twitter", tags=tags or [], intents=[])
        s.add(case)
        s.flush()
        return case.id


def tagged(db: Database) -> set[tuple[int, str]]:
    with db.session() as s:
        return {(c, t) for c, t in s.execute(select(CaseTag.case_id, CaseTag.tag))}


def inbox_ids(db: Database, tag: str) -> list[int]:
    with db.session() as s:
        page = list_cases(s, user_id=1, filters=InboxFilters(tag=tag), now=T0)
    return sorted(c.id for c in page.cases)


def test_set_tags_keeps_the_table_and_the_inbox_filters_by_it(db: Database) -> None:
    a, b, c = (new_case(db, n) for n in ("a", "b", "c"))
    with db.session() as s:
        cases.set_tags(s, case_id=a, add=["VIP", "refund"], remove=[], actor_id=None, now=T0)
        cases.set_tags(s, case_id=b, add=["vip"], remove=[], actor_id=None, now=T0)
        cases.set_tags(s, case_id=b, add=["vip"], remove=[], actor_id=None, now=T0)  # again
    assert tagged(db) == {(a, "vip"), (a, "refund"), (b, "vip")}
    assert inbox_ids(db, "vip") == [a, b]
    assert inbox_ids(db, "Vip") == [a, b]
    assert inbox_ids(db, "refund") == [a]
    assert inbox_ids(db, "v%") == []  # a tag is matched whole, not as a pattern
    with db.session() as s:
        cases.set_tags(s, case_id=a, add=["later"], remove=["vip"], actor_id=None, now=T0)
        assert s.get(Case, a).tags == ["refund", "later"]  # type: ignore[union-attr]
    assert tagged(db) == {(a, "refund"), (a, "later"), (b, "vip")}
    assert inbox_ids(db, "vip") == [b]
    assert inbox_ids(db, "later") == [a]
    assert c not in inbox_ids(db, "refund")


def test_the_migration_fills_the_table_from_each_case_list(database_url: str) -> None:
    downgrade(database_url, "0016")  # the revision before the case-tag table
    try:
        db = Database(make_settings(database_url))
        one = new_case(db, "one", ["vip", "refund", "vip"])
        two = new_case(db, "two", [])
        three = new_case(db, "three", ["press"])
        with db.engine.connect() as conn:
            assert not sa.inspect(conn).has_table("eng_case_tags")
        upgrade(database_url)
        assert tagged(db) == {(one, "vip"), (one, "refund"), (three, "press")}
        assert inbox_ids(db, "vip") == [one]
        assert two not in inbox_ids(db, "refund")
        db.dispose()
    finally:
        upgrade(database_url)
