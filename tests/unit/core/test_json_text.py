"""JSON columns are written by orjson: what any reader gets back is what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from groundswell.core.db import json_text, make_engine

VALUES = [
    {"text": "Café ☕ — 東京 😀", "n": 3, "f": 0.25, "ok": True, "none": None},
    {"nested": [{"a": [1, 2, [3, {"b": "c"}]]}], "empty": {}, "list": []},
    ["a", 1, 2.5, False, None],
    {"big": 2**63 - 1, "small": -(2**63)},
    'just a string with "quotes" and \\ backslash and \n newline',
    {"html": "<script>alert(1)</script> &amp;"},
]


def test_what_is_written_reads_back_as_the_standard_library_would() -> None:
    for value in VALUES:
        assert json.loads(json_text(value)) == json.loads(json.dumps(value)) == value


def test_keys_that_are_not_strings_become_strings_as_with_the_standard_library() -> None:
    value = {1: "one", 2: {3: "three"}}
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


def test_tuples_are_written_as_lists() -> None:
    assert json.loads(json_text({"t": (1, 2)})) == {"t": [1, 2]}


def test_a_sqlite_json_column_round_trips_through_the_engine(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc", sa.JSON),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "doc": v} for i, v in enumerate(VALUES)])
        stored = conn.execute(sa.text("SELECT doc FROM t WHERE id = 0")).scalar_one()
        back = [r.doc for r in conn.execute(sa.select(table).order_by(table.c.id))]
    assert back == VALUES
    assert "Café" in stored  # compact UTF-8 text, not \\u escapes
    assert json.loads(stored) == VALUES[0]
    engine.dispose()
