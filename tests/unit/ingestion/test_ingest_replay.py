"""Replay pacing and re-dating, with a fake clock: nothing here sleeps for real."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell.ingestion.formats import UnreadableFileError
from groundswell.ingestion.replay import load_sorted, replay
from groundswell.ingestion.schemas import InboundPost

T0 = datetime(2015, 2, 24, 10, 0, tzinfo=UTC)
START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A monotonic clock that only moves when something sleeps or ``advance`` is called."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_post(external_id: str, offset_seconds: float, reply_to: str | None = None) -> InboundPost:
    return InboundPost(
        channel="twitter",
        external_id=external_id,
        text=f"post {external_id}",
        created_at=T0 + timedelta(seconds=offset_seconds),
        author={"external_id": "u1"},
        reply_to_external_id=reply_to,
    )


def run(posts: list[InboundPost], clock: FakeClock, **kwargs: object) -> list[InboundPost]:
    return list(
        replay(posts, clock=clock, sleep=clock.sleep, start=START, **kwargs)  # type: ignore[arg-type]
    )


def test_paced_by_speed_and_redated_from_start() -> None:
    clock = FakeClock()
    posts = [make_post("1", 0), make_post("2", 10), make_post("3", 30)]
    out = run(posts, clock, speed=10)
    assert clock.sleeps == [1.0, 2.0]
    assert [p.created_at for p in out] == [
        START,
        START + timedelta(seconds=1),
        START + timedelta(seconds=3),
    ]
    assert [p.external_id for p in out] == ["1", "2", "3"]


def test_first_post_is_emitted_at_once() -> None:
    clock = FakeClock()
    iterator = replay([make_post("1", 0)], speed=1, clock=clock, sleep=clock.sleep)
    assert next(iterator).external_id == "1"
    assert clock.sleeps == []


def test_long_gaps_are_capped() -> None:
    clock = FakeClock()
    out = run([make_post("1", 0), make_post("2", 3600)], clock, speed=1, max_gap_seconds=5.0)
    assert clock.sleeps == [5.0]
    assert out[1].created_at == START + timedelta(seconds=5)


def test_no_cap_when_max_gap_is_none() -> None:
    clock = FakeClock()
    run([make_post("1", 0), make_post("2", 3600)], clock, speed=2, max_gap_seconds=None)
    assert clock.sleeps == [1800.0]


def test_unsorted_posts_are_emitted_in_given_order_without_waiting() -> None:
    clock = FakeClock()
    out = run([make_post("1", 60), make_post("2", 0), make_post("3", 60)], clock, speed=1)
    assert [p.external_id for p in out] == ["1", "2", "3"]
    assert clock.sleeps == [5.0]


def test_a_slow_consumer_does_not_add_drift() -> None:
    """Gaps of 10 s are capped to 5 s: due at 0, 5, 10; the consumer takes 3 s, then 12 s."""
    clock = FakeClock()
    posts = [make_post("1", 0), make_post("2", 10), make_post("3", 20)]
    iterator = replay(posts, speed=1, clock=clock, sleep=clock.sleep, start=START)
    next(iterator)
    clock.advance(3)
    next(iterator)
    clock.advance(12)
    third = next(iterator)
    assert clock.sleeps == [2.0]
    assert third.created_at == START + timedelta(seconds=17)


def test_fresh_ids_renew_ids_and_reply_ids_keeping_numbers_numeric() -> None:
    clock = FakeClock()
    posts = [make_post("1", 0), make_post("2", 1, reply_to="1"), make_post("t-3", 2)]
    out = run(posts, clock, speed=100, fresh_ids="r2")
    first, second, third = out
    assert first.external_id.isdigit() and len(first.external_id) >= 23
    assert second.reply_to_external_id == first.external_id  # the thread stays threaded
    assert second.external_id == str(int(first.external_id) + 1)
    assert third.external_id == "t-3-r2"
    again = run(posts, FakeClock(), speed=100, fresh_ids="r3")
    assert {p.external_id for p in again}.isdisjoint(p.external_id for p in out)
    assert posts[1].external_id == "2"
    assert posts[1].created_at == T0 + timedelta(seconds=1)


def test_without_fresh_ids_ids_are_kept() -> None:
    clock = FakeClock()
    out = run([make_post("2", 0, reply_to="1")], clock, speed=1)
    assert (out[0].external_id, out[0].reply_to_external_id) == ("2", "1")


def test_without_start_posts_are_stamped_with_the_current_utc_time() -> None:
    clock = FakeClock()
    before = datetime.now(UTC)
    out = list(replay([make_post("1", 0)], speed=1, clock=clock, sleep=clock.sleep))
    assert out[0].created_at.tzinfo is not None
    assert out[0].created_at >= before


@pytest.mark.parametrize("speed", [0, -1])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        list(replay([make_post("1", 0)], speed=speed))


def write_jsonl(tmp_path: Path) -> Path:
    rows = []
    for external_id, offset in [("late", 300), ("early", 0), ("middle", 60), ("tie", 60)]:
        created = (T0 + timedelta(seconds=offset)).isoformat()
        rows.append(
            json.dumps(
                {
                    "channel": "twitter",
                    "external_id": external_id,
                    "text": "hi",
                    "created_at": created,
                    "author": {"external_id": "u1"},
                }
            )
        )
    rows.append("{not json")
    path = tmp_path / "replay.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_load_sorted_sorts_and_skips_rejected(tmp_path: Path) -> None:
    posts = load_sorted(write_jsonl(tmp_path), "native")
    assert [p.external_id for p in posts] == ["early", "middle", "tie", "late"]


def test_load_sorted_limit_keeps_the_oldest(tmp_path: Path) -> None:
    posts = load_sorted(write_jsonl(tmp_path), "native", limit=2)
    assert [p.external_id for p in posts] == ["early", "middle"]


def test_load_sorted_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError):
        load_sorted(tmp_path / "missing.jsonl", "native")
