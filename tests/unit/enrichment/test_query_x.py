"""Subject queries as X filtered-stream rules: exact where X can say it, wider where not."""

from __future__ import annotations

import pytest

from groundswell.enrichment.query import parse_query
from groundswell.enrichment.query_x import to_x_rule


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ("delta", "(delta OR #delta)"),
        ("#delta", "#delta"),
        ("@delta", "@delta"),
        ('"lost luggage"', '"lost luggage"'),
        ("delta luggage", "(delta OR #delta) (luggage OR #luggage)"),
        ("#a OR #b", "#a OR #b"),
        ("#a -#b", "#a -#b"),
        ("#a NOT (#b OR #c)", "#a -#b -#c"),
        ("#a (#b OR #c)", "#a (#b OR #c)"),
        ('(#a "x y") OR @c', '(#a "x y") OR @c'),
        ("#a lugg*", "#a"),
    ],
)
def test_translates(query: str, rule: str) -> None:
    assert to_x_rule(parse_query(query).root).value == rule


def test_a_prefix_widens_and_says_so() -> None:
    out = to_x_rule(parse_query("#a lugg*").root)
    assert out.widened == ["lugg*: X rules have no wildcard"]


def test_a_prefix_in_an_or_widens_the_whole_or() -> None:
    out = to_x_rule(parse_query("#a (#b OR lugg*)").root)
    assert out.value == "#a"


@pytest.mark.parametrize("query", ["lugg*", "NOT #a", "#a OR lugg*", "NOT (#a #b)"])
def test_untranslatable(query: str) -> None:
    out = to_x_rule(parse_query(query).root)
    assert out.value is None
    assert out.error is not None


def test_negated_and_inside_a_conjunction_is_dropped() -> None:
    out = to_x_rule(parse_query("#a NOT (#b #c)").root)
    assert out.value == "#a"
    assert out.widened


def test_too_long_is_refused() -> None:
    query = " OR ".join(f"#tag{i}" for i in range(100))
    out = to_x_rule(parse_query(query).root)
    assert out.value is None and "characters" in (out.error or "")
