from __future__ import annotations

import pytest
from pydantic import ValidationError

from groundswell.engagement.rules.engine import Facts, compile_rules
from groundswell.engagement.rules.spec import RuleSpec


def rule(id: int, position: int, stop: bool = False, **conditions: object) -> RuleSpec:
    return RuleSpec.model_validate(
        {
            "id": id,
            "name": f"r{id}",
            "position": position,
            "stop": stop,
            "conditions": conditions,
            "actions": [{"type": "tag", "tag": f"t{id}"}],
        }
    )


F = Facts(
    interaction_id=1,
    channel="twitter",
    text="My flight was cancelled, refund please!",
    sentiment_label="negative",
    sentiment_score=-0.7,
    intents=frozenset({"complaint"}),
    language="en",
    influence=30.0,
    subject_ids=frozenset({4}),
)


def test_each_condition() -> None:
    yes = [
        rule(1, 0, channels=["twitter"]),
        rule(2, 0, sentiments=["negative"]),
        rule(3, 0, sentiment_below=-0.5),
        rule(4, 0, intents=["complaint", "praise"]),
        rule(5, 0, languages=["EN"]),
        rule(6, 0, influence_min=20),
        rule(7, 0, keywords=["refund"]),
        rule(8, 0, known_customer=False),
        rule(9, 0, business_hours=True),
        rule(10, 0, subject_ids=[4, 5]),
    ]
    no = [
        rule(11, 0, channels=["email"]),
        rule(12, 0, sentiments=["positive"]),
        rule(13, 0, influence_min=50),
        rule(14, 0, keywords=["fund"]),  # whole words only
        rule(15, 0, known_customer=True),
        rule(16, 0, subject_ids=[9]),
    ]
    matched = {m.rule_id for m in compile_rules(yes + no).evaluate(F)}
    assert matched == {r.id for r in yes}


def test_order_and_stop_here() -> None:
    rules = [rule(1, 2), rule(2, 1, stop=True, channels=["twitter"]), rule(3, 0)]
    assert [m.rule_id for m in compile_rules(rules).evaluate(F)] == [3, 2]


def test_outbound_never_matches() -> None:
    out = Facts(interaction_id=2, channel="twitter", text="refund", direction="out")
    assert compile_rules([rule(1, 0)]).evaluate(out) == []


def test_failing_rule_is_skipped() -> None:
    ruleset = compile_rules([rule(1, 0), rule(2, 1)])
    broken = ruleset.rules[0]
    object.__setattr__(broken, "predicates", (lambda f: 1 / 0,))
    assert [m.rule_id for m in ruleset.evaluate(F)] == [2]


def test_bad_rule_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        RuleSpec.model_validate(
            {"name": "x", "conditions": {"influence_min": 200}, "actions": [{"type": "tag"}]}
        )
    assert "influence_min" in str(info.value)
