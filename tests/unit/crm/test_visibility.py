"""The visibility rule on read rows: the row's own flag decides, per message."""

from __future__ import annotations

from datetime import UTC, datetime

from groundswell.analytics.digest.why import why
from groundswell.crm.visibility import WITHHELD, is_private, redact, stored_private
from groundswell.listening.drilldown.private import for_role
from groundswell.listening.drilldown.schemas import ClusterRead, DrilldownRead, SamplePostRead

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def sample(
    i: int, text: str, *, channel: str = "facebook", private: bool = False
) -> SamplePostRead:
    return SamplePostRead(
        id=i,
        text=text,
        private=private,
        created_at=T0,
        channel_key=channel,
        author_handle="@a",
        contact_id=None,
        sentiment_label="negative",
        sentiment_score=-0.5,
        influence=0.0,
    )


def test_the_flag_decides_and_old_private_keys_stay_private() -> None:
    assert is_private(sample(1, "x", private=True))
    assert not is_private(sample(2, "x"))
    assert is_private(sample(3, "x", channel="email"))  # a row stored before the flag
    assert is_private("sms") and not is_private("facebook")
    assert stored_private(flagged=False, channel_key="support", private_keys={"support"})
    assert stored_private(flagged=True, channel_key="facebook")
    assert not stored_private(flagged=False, channel_key="facebook", private_keys={"support"})


def test_redact_withholds_private_rows_for_analysts_only() -> None:
    rows = [sample(1, "my card ends 4242", private=True), sample(2, "flight late again")]
    analyst = redact(rows, role="analyst")
    assert [r.text for r in analyst] == [WITHHELD, "flight late again"]
    assert [r.text for r in redact(rows, role="agent")] == [
        "my card ends 4242",
        "flight late again",
    ]
    assert rows[0].text == "my card ends 4242"  # copies, the input is untouched


def _drilldown(samples: list[SamplePostRead]) -> DrilldownRead:
    cluster = ClusterRead(size=len(samples), share=1.0, terms=["card"], examples=samples)
    return DrilldownRead.model_construct(
        summary="Talk rose.",
        terms=[],
        phrases=[],
        samples=samples,
        clusters=[cluster],
    )


def test_drilldown_samples_and_cluster_examples_follow_the_flag() -> None:
    d = _drilldown([sample(1, "my card ends 4242", private=True), sample(2, "flight late")])
    seen = for_role(d, role="analyst")
    assert [s.text for s in seen.samples] == [WITHHELD, "flight late"]
    assert [s.text for s in seen.clusters[0].examples] == [WITHHELD, "flight late"]
    assert for_role(d, role="agent").samples[0].text == "my card ends 4242"


def test_a_digest_quotes_no_private_message() -> None:
    d = _drilldown([sample(1, "my card ends 4242", private=True), sample(2, "flight late")])
    assert [s.text for s in why(d).samples] == ["flight late"]
