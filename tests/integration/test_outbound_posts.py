"""The company's own posts are outbound: no intents, not customers' sentiment or counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.crm.read import list_interactions
from groundswell.crm.schemas import StreamFilter
from groundswell.enrichment.pipeline import OUTBOUND, Enricher, PostFacts
from groundswell.ingestion.outbound import BrandAccounts, BrandAccountsError
from groundswell.listening.models import ALL_POSTS, MinuteRollup
from groundswell.workers.importer import import_file
from gs_testing import make_settings

REPLY = "@sam I'm sorry you received an incorrect item, please DM us your order number"


def test_brand_accounts_parse_and_match() -> None:
    accounts = BrandAccounts.parse(" twitter:@AmericanAir, AppleSupport ,")
    assert accounts.owns("twitter", "americanair", "1")
    assert accounts.owns("mastodon", "@applesupport", "x")
    assert not accounts.owns("mastodon", "AmericanAir", "2")
    assert not accounts.owns("twitter", "sam", "3")
    assert not BrandAccounts.parse("")
    with pytest.raises(BrandAccountsError, match="no handle"):
        BrandAccounts.parse("twitter:")


def test_outbound_post_gets_no_intents_in_model_mode() -> None:
    enricher = Enricher(sentiment_mode="model")
    inbound, outbound = enricher.enrich_many(
        [PostFacts(text=REPLY), PostFacts(text=REPLY, outbound=True)]
    )
    assert inbound.intents  # the model reads the brand's apology as a complaint
    assert outbound.intents == {} and outbound.intent is None
    assert OUTBOUND in outbound.flags and OUTBOUND not in inbound.flags


def _record(ext: str, author: str, text: str, **extra: object) -> str:
    return json.dumps(
        {
            "channel": "twitter",
            "external_id": ext,
            "text": text,
            "created_at": "2024-05-01T10:00:00Z",
            "author": {"external_id": author, "handle": author},
            **extra,
        }
    )


def test_brand_replies_stay_out_of_customer_figures(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, sentiment="model", brand_accounts="twitter:AmericanAir")
    path = tmp_path / "posts.jsonl"
    lines = [
        _record("1", "sam", "@AmericanAir you sent me the wrong item, this is awful"),
        _record("2", "AmericanAir", REPLY, reply_to_external_id="1"),
        _record("3", "SouthwestAir", "We are sorry, that is terrible", direction="out"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = Database(settings)
    try:
        import_file(settings, path, "native", db=db)
        with db.session() as s:
            rows = {r.external_id: r for r in s.scalars(sa.select(Interaction)).all()}
            counted = s.scalar(
                sa.select(sa.func.sum(MinuteRollup.count)).where(
                    MinuteRollup.subject_id == ALL_POSTS
                )
            )
            negative = list_interactions(s, filters=StreamFilter(sentiment="negative"))
            everything = list_interactions(s, filters=StreamFilter())
        assert rows["1"].direction == "in" and rows["1"].intents
        for ext in ("2", "3"):
            assert rows[ext].direction == "out"
            assert rows[ext].intents is None and rows[ext].intent is None
            assert OUTBOUND in (rows[ext].flags or [])
        assert counted == 1
        assert [i.external_id for i in negative.items] == ["1"]
        shown = {i.external_id: i.flags for i in everything.items}
        assert OUTBOUND in shown["2"] and OUTBOUND not in shown["1"]
    finally:
        db.dispose()
