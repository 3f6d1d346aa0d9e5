"""An entry's title and body become one text, said once when one repeats the other."""

from __future__ import annotations

import pytest

from groundswell.channels.feeds.connector import title_and_body


@pytest.mark.parametrize(
    ("title", "body", "text"),
    [
        (
            "Lost bag",
            "My bag never arrived in Denver.",
            "Lost bag\n\nMy bag never arrived in Denver.",
        ),
        (
            "The app logged me out",
            "the app logged me out and my boarding pass is gone",
            "the app logged me out and my boarding pass is gone",
        ),
        (
            "My bag never arrived in…",
            "My bag never  arrived in Denver.",
            "My bag never  arrived in Denver.",
        ),
        ("Same text", "Same text", "Same text"),
        ("A long title that says it all", "A long title", "A long title that says it all"),
        ("", "Only a body", "Only a body"),
        ("Only a title", "", "Only a title"),
        ("", "", ""),
    ],
)
def test_title_and_body(title: str, body: str, text: str) -> None:
    assert title_and_body(title, body) == text
