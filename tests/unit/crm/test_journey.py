"""Journey stages from events: each move names its rule; complaints before a purchase wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundswell.crm.journey import infer

T = datetime(2024, 1, 1, tzinfo=UTC)


def test_stages_follow_the_rules_in_time_order() -> None:
    moves = infer(
        [
            (T + timedelta(days=5), "complaint"),  # before any purchase: ignored
            (T, "first_touch"),
            (T + timedelta(days=2), "purchase_intent"),
            (T + timedelta(days=10), "purchase"),
            (T + timedelta(days=12), "support_question"),
            (T + timedelta(days=40), "purchase"),
        ]
    )
    assert [(m.stage, m.rule) for m in moves] == [
        ("awareness", "first_touch"),
        ("consideration", "purchase_intent"),
        ("purchase", "purchase"),
        ("service", "complaint"),
        ("loyalty", "repeat_purchase"),
    ]
    assert moves[3].at == T + timedelta(days=12)
    assert infer([]) == []


def test_first_touch_after_purchases_does_not_go_back_to_awareness() -> None:
    moves = infer(
        [
            (T, "purchase"),
            (T + timedelta(days=300), "complaint"),
            (T + timedelta(days=300), "first_touch"),  # the same post
        ]
    )
    assert [m.stage for m in moves] == ["purchase", "service"]
    same = infer([(T, "complaint"), (T, "first_touch"), (T + timedelta(days=1), "purchase")])
    assert [m.stage for m in same] == ["awareness", "purchase"]
