"""The demo networks' customers tell stories, one person a round, not six lines on loop."""

from __future__ import annotations

from itertools import pairwise

from groundswell.demo.channel_standins import LINES, STORIES


def test_each_round_is_another_person_and_a_story_moves_on() -> None:
    assert len(LINES) == sum(len(story) for story in STORIES.values()) == 24
    assert len({text for _, text in LINES}) == len(LINES)  # nothing said twice in a cycle
    assert all(a != b for (a, _), (b, _) in pairwise(LINES))
    for who, story in STORIES.items():
        assert [text for person, text in LINES if person == who] == list(story)
