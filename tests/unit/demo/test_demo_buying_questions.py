"""The demo's buying questions: worded apart, fit a post, the same on every run."""

from __future__ import annotations

from itertools import pairwise

from groundswell.demo.buying_questions import buying_question
from groundswell.demo.crm_setup import LEAD_POSTS, SHOPPERS


def test_the_leads_page_does_not_read_like_a_form_letter() -> None:
    asked = [buying_question(i) for i in range(SHOPPERS + LEAD_POSTS)]
    assert len(set(asked)) >= 0.9 * len(asked)
    assert all(a != b for a, b in pairwise(asked))  # neighbours differ
    assert max(len("@united " + q) for q in asked) <= 280
    assert "{" not in "".join(asked)  # every field filled
    assert asked == [buying_question(i) for i in range(SHOPPERS + LEAD_POSTS)]
