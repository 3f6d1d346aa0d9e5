"""Priority, canned responses, the reply policy and assignment: pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groundswell.channels.base import Capabilities
from groundswell.engagement.assignment import Candidate, choose
from groundswell.engagement.canned import CannedError, render_canned, variables_for
from groundswell.engagement.priority import (
    NEUTRAL_VALUE,
    PRIORITY_BOOST,
    PriorityInputs,
    score,
)
from groundswell.engagement.reply_policy import ReplyFacts, ReplyPolicy, ReplyRefused, check_reply

X = Capabilities(public=True, private=True, max_length=280, reply_window=None)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_priority_explains_itself_and_orders_cases() -> None:
    calm = score(PriorityInputs(sentiment_score=0.4))
    angry = score(PriorityInputs(sentiment_score=-0.8, intents=("churn",), influence=90.0))
    assert angry.score > calm.score
    assert angry.label in ("high", "urgent")
    reasons = dict(angry.reasons)
    assert reasons["negative sentiment"] == 20.0 and reasons["intent: churn"] == 25.0
    assert angry.reasons[0][1] >= angry.reasons[-1][1]


def test_a_set_level_keeps_its_label_and_the_signals_order_within_it() -> None:
    """Two urgent complaints must not tie at the cap: the angrier one comes first."""
    urgent = PRIORITY_BOOST["urgent"]
    mild = score(PriorityInputs(sentiment_score=-0.2, intents=("complaint",), manual_boost=urgent))
    furious = score(
        PriorityInputs(
            sentiment_score=-1.0,
            intents=("complaint", "churn"),
            influence=80.0,
            manual_boost=urgent,
        )
    )
    assert mild.label == furious.label == "urgent"
    assert 75.0 <= mild.score < furious.score <= 100.0
    calm_low = score(PriorityInputs(sentiment_score=-1.0, intents=("churn",), manual_boost=-15.0))
    assert calm_low.label == "low" and calm_low.score < 25.0
    assert "priority set by a rule or a person" in dict(calm_low.reasons)
    high = score(PriorityInputs(manual_boost=PRIORITY_BOOST["high"]))
    assert high.label == "high"
    assert score(PriorityInputs()).reasons == (("base", 20.0),)


def test_neutral_customer_value_adds_nothing() -> None:
    base = score(PriorityInputs(customer_value=NEUTRAL_VALUE))
    assert "customer value" not in dict(base.reasons)
    valued = score(PriorityInputs(customer_value=1.0))
    assert valued.score == base.score + 10.0


def test_canned_renders_variables_as_plain_text() -> None:
    v = variables_for(
        contact_name="<script>Ann</script> Lee", handle="ann", agent_name="Bo", case_id=7
    )
    out = render_canned("Hi {{contact.first_name}}, {{agent.name}} here (#{{case.id}})", v)
    assert out == "Hi <script>Ann</script>, Bo here (#7)"  # text; pages escape on display


def test_canned_unknown_variable_is_a_clear_error() -> None:
    v = variables_for(contact_name=None, handle=None, agent_name=None, case_id=1)
    with pytest.raises(CannedError, match="last_name"):
        render_canned("Hi {{contact.last_name}}", v)


def test_canned_sandbox_refuses_attribute_tricks() -> None:
    v = variables_for(contact_name="A", handle=None, agent_name=None, case_id=1)
    with pytest.raises(CannedError):
        render_canned("{{ contact.__class__.__mro__ }}", v)


def facts(**kw: object) -> ReplyFacts:
    base: dict[str, object] = {
        "role": "agent",
        "channel": "twitter",
        "text": "Sorry!",
        "visibility": "public",
    }
    base.update(kw)
    return ReplyFacts(**base)  # type: ignore[arg-type]


def test_reply_refusals_name_the_field() -> None:
    policy = ReplyPolicy()
    cases = [
        (facts(role="analyst"), "role", 403),
        (facts(text="x" * 281), "text", 422),
        (facts(text="   "), "text", 422),
        (facts(visibility="private"), None, None),
    ]
    for f, field, status in cases:
        if field is None:
            assert check_reply(policy, X, f) == []
            continue
        with pytest.raises(ReplyRefused) as info:
            check_reply(policy, X, f)
        assert (info.value.field, info.value.status) == (field, status)
    public_only = Capabilities(public=True, private=False, max_length=500)
    with pytest.raises(ReplyRefused, match="no private"):
        check_reply(policy, public_only, facts(visibility="private"))


def test_reply_window_closed() -> None:
    dm = Capabilities(public=False, private=True, max_length=1000, reply_window=timedelta(hours=24))
    f = facts(visibility="private", last_customer_at=NOW - timedelta(hours=25), now=NOW)
    with pytest.raises(ReplyRefused) as info:
        check_reply(ReplyPolicy(), dm, f)
    assert info.value.field == "channel" and "24 h" in info.value.reason


def test_approval_reasons() -> None:
    policy = ReplyPolicy(approval_influence=60.0)
    assert check_reply(policy, X, facts(author_influence=70.0))
    assert check_reply(policy, X, facts(negative_in_open_alert=True))
    assert check_reply(policy, X, facts(agent_in_training=True))
    assert check_reply(policy, X, facts(author_influence=70.0, visibility="private")) == []
    assert check_reply(policy, X, facts(role="lead", author_influence=90.0)) == []


def test_assignment_respects_capacity_skills_language() -> None:
    people = [
        Candidate(1, load=5, capacity=5),
        Candidate(2, load=1, capacity=5, away=True),
        Candidate(
            3, load=3, capacity=10, skills=frozenset({"billing"}), languages=frozenset({"en"})
        ),
        Candidate(4, load=1, capacity=10, languages=frozenset({"fr"})),
    ]
    assert choose(people, strategy="least_loaded") == 4
    assert choose(people, strategy="least_loaded", language="en") == 3
    assert choose(people, strategy="least_loaded", skills=frozenset({"billing"})) == 3
    assert choose(people, strategy="least_loaded", skills=frozenset({"legal"})) is None


def test_round_robin_cycles() -> None:
    people = [Candidate(i, load=0, capacity=3) for i in (5, 7, 9)]
    seq, last = [], None
    for _ in range(4):
        last = choose(people, strategy="round_robin", last_assigned=last)
        seq.append(last)
    assert seq == [5, 7, 9, 5]
