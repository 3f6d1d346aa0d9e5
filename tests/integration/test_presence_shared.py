"""Presence shared by several web processes through Redis: who is typing on a case.

Two boards stand for two processes; each talks to Redis on its own connection.
"""

from __future__ import annotations

import uuid

import pytest

from groundswell.engagement.presence import TTL_S, TYPING_S, PresenceBoard


@pytest.fixture
def boards(redis_url: str) -> tuple[PresenceBoard, PresenceBoard]:
    prefix = f"gs:test-presence:{uuid.uuid4().hex}:"
    one, two = PresenceBoard(), PresenceBoard()
    one.use_redis(redis_url, prefix=prefix)
    two.use_redis(redis_url, prefix=prefix)
    return one, two


def test_a_colleague_on_another_process_sees_the_agent_typing(
    boards: tuple[PresenceBoard, PresenceBoard],
) -> None:
    one, two = boards
    one.touch(7, 1, "Ann Agent", "typing", now=1000.0)
    two.touch(7, 2, "Bob Agent", "viewing", now=1000.5)
    [ann] = two.others(7, 2, now=1001.0)
    assert (ann.user_id, ann.name, ann.state) == (1, "Ann Agent", "typing")
    [bob] = one.others(7, 1, now=1001.0)
    assert bob.state == "viewing"
    assert two.others(8, 2, now=1001.0) == []  # another case


def test_a_viewing_beat_keeps_typing_fresh_then_it_fades_and_expires(
    boards: tuple[PresenceBoard, PresenceBoard],
) -> None:
    one, two = boards
    one.touch(7, 1, "Ann Agent", "typing", now=1000.0)
    one.touch(7, 1, "Ann Agent", "viewing", now=1002.0)
    assert [p.state for p in two.others(7, 2, now=1002.0)] == ["typing"]
    one.touch(7, 1, "Ann Agent", "viewing", now=1000.0 + TYPING_S + 1)
    assert [p.state for p in two.others(7, 2, now=1000.0 + TYPING_S + 1)] == ["viewing"]
    assert two.others(7, 2, now=1000.0 + TYPING_S + 2 + TTL_S) == []  # the browser closed


def test_the_memory_board_behaves_the_same() -> None:
    board = PresenceBoard()
    board.touch(7, 1, "Ann Agent", "typing", now=1000.0)
    assert [p.state for p in board.others(7, 2, now=1001.0)] == ["typing"]
    assert board.others(7, 2, now=1000.0 + TTL_S + 1) == []
