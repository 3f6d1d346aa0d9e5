"""Keep ``an_eng_daily`` equal to the sum of every case's contribution.

``refresh`` recomputes the contribution of the cases that changed, subtracts what each
last added (``an_eng_case_share``) and adds the difference to the rows it touches, in the
caller's transaction. Rows are locked (``FOR UPDATE`` on PostgreSQL; SQLite has one writer)
before their histograms are merged, so concurrent transactions cannot lose a count.
``rebuild`` recomputes everything from the cases, for existing data or after a repair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from groundswell.analytics.engagement import histogram
from groundswell.analytics.engagement.contribution import (
    COUNTERS,
    HISTS,
    SUMS,
    Figures,
    RowKey,
    accumulate,
    contribution,
    contribution_from_json,
    contribution_to_json,
    delta,
)
from groundswell.analytics.engagement.facts import load_facts
from groundswell.analytics.engagement.models import EngagementCaseShare, EngagementDaily
from groundswell.core.clock import utcnow
from groundswell.engagement.models import Case

FIELDS = COUNTERS + SUMS
_TABLE: Table = EngagementDaily.__table__  # type: ignore[assignment]
_SHARES: Table = EngagementCaseShare.__table__  # type: ignore[assignment]


def _empty_row(key: RowKey) -> dict[str, Any]:
    day, dim, k = key
    row: dict[str, Any] = {"day": day, "dim": dim, "key": k, "hists": b""}
    row.update({name: 0 for name in FIELDS})
    return row


def _insert_missing(session: Session, keys: Sequence[RowKey]) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_TABLE).on_conflict_do_nothing(index_elements=["dim", "key", "day"])
    session.execute(stmt, [_empty_row(k) for k in keys])


def _merged(row: Any, change: Figures) -> dict[str, Any]:
    values: dict[str, Any] = {"id": row.id}
    for name in FIELDS:
        current = getattr(row, name) or 0
        amount = change.counts.get(name, 0.0)
        values[name] = round(current + amount) if name in COUNTERS else current + amount
    hists = histogram.unpack(row.hists, HISTS)
    for name, hist in change.hists.items():
        histogram.merge(hists.setdefault(name, {}), hist)
    values["hists"] = histogram.pack(hists, HISTS)
    return values


def apply(session: Session, changes: Mapping[RowKey, Figures]) -> int:
    """Add ``changes`` to the rollup rows; returns the number of rows touched."""
    if not changes:
        return 0
    keys = sorted(changes)
    _insert_missing(session, keys)
    found = session.execute(
        select(_TABLE)
        .where(
            tuple_(_TABLE.c.dim, _TABLE.c.key, _TABLE.c.day).in_([(d, k, y) for y, d, k in keys])
        )
        .order_by(_TABLE.c.id)
        .with_for_update()
    ).all()
    updates = [_merged(row, changes[(row.day, row.dim, row.key)]) for row in found]
    if updates:
        session.execute(
            _TABLE.update().where(_TABLE.c.id == _bind("id")).values(**_update_values()),
            [{("b_" + k): v for k, v in u.items()} for u in updates],
        )
    return len(updates)


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam("b_" + name)


def _update_values() -> dict[str, Any]:
    values = {name: _bind(name) for name in FIELDS}
    values["hists"] = _bind("hists")
    return values


def refresh(session: Session, case_ids: Iterable[int]) -> int:
    """Bring the rollup up to date with these cases; returns rollup rows touched."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    facts = {f.case_id: f for f in load_facts(session, ids)}
    stored: dict[int, Any] = dict(
        session.execute(
            select(EngagementCaseShare.case_id, EngagementCaseShare.share).where(
                EngagementCaseShare.case_id.in_(ids)
            )
        ).all()
    )
    changes: dict[RowKey, Figures] = {}
    share_table = _SHARES
    now = utcnow()
    for case_id in ids:
        old = contribution_from_json(stored.get(case_id))
        new = contribution(facts[case_id]) if case_id in facts else {}
        for key, figures in delta(old, new).items():
            changes.setdefault(key, Figures()).merge(figures)
        if case_id not in facts:
            continue
        payload = contribution_to_json(new)
        if case_id in stored:
            session.execute(
                share_table.update()
                .where(share_table.c.case_id == case_id)
                .values(share=payload, updated_at=now)
            )
        else:
            session.execute(
                share_table.insert().values(case_id=case_id, share=payload, updated_at=now)
            )
    return apply(session, changes)


def rebuild(session: Session, *, batch: int = 1000) -> tuple[int, int]:
    """Recompute the whole rollup from the cases; returns (cases, rollup rows)."""
    session.execute(delete(EngagementDaily))
    session.execute(delete(EngagementCaseShare))
    totals: dict[RowKey, Figures] = {}
    last = 0
    cases = 0
    now = utcnow()
    while True:
        ids = list(
            session.scalars(select(Case.id).where(Case.id > last).order_by(Case.id).limit(batch))
        )
        if not ids:
            break
        last = ids[-1]
        contribs = []
        shares = []
        for facts in load_facts(session, ids):
            contrib = contribution(facts)
            contribs.append(contrib)
            shares.append(
                {
                    "case_id": facts.case_id,
                    "share": contribution_to_json(contrib),
                    "updated_at": now,
                }
            )
        if shares:
            session.execute(_SHARES.insert(), shares)
        for key, figures in accumulate(contribs).items():
            totals.setdefault(key, Figures()).merge(figures)
        cases += len(ids)
    write_rows(session, totals)
    return cases, len(totals)


def rows_of(totals: Mapping[RowKey, Figures]) -> list[dict[str, Any]]:
    out = []
    for key, figures in sorted(totals.items()):
        row = _empty_row(key)
        for name in FIELDS:
            amount = figures.counts.get(name, 0.0)
            row[name] = round(amount) if name in COUNTERS else amount
        row["hists"] = histogram.pack(figures.hists, HISTS)
        out.append(row)
    return out


def write_rows(session: Session, totals: Mapping[RowKey, Figures], *, chunk: int = 5000) -> None:
    """Insert fresh rollup rows (the table must not hold these keys yet)."""
    rows = rows_of(totals)
    for start in range(0, len(rows), chunk):
        session.execute(_TABLE.insert(), rows[start : start + chunk])
