"""The X stand-in's mentions of the demo account are customers' posts, never brand replies."""

from __future__ import annotations

from groundswell.demo.channels import customer_mentions
from groundswell.demo.setup import split_sample


def test_brand_replies_of_the_sample_are_not_sent_as_customer_mentions() -> None:
    live = split_sample().live
    brands = {p.author.external_id for p in live if p.direction == "out"}
    replies_to_someone = [p for p in live if p.direction == "out" and p.text.startswith("@")]
    assert brands and replies_to_someone  # the sample does hold brand replies
    chosen = customer_mentions(live)
    assert len(chosen) > 100
    assert all(p.direction == "in" for p in chosen)
    assert not {p.author.external_id for p in chosen} & brands
    assert all(p.text.lstrip().startswith("@") for p in chosen)
