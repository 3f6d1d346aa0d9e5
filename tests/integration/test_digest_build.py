"""The digest's figures, its PDF (exactly one page, saved as PNG) and its HTML, on both engines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from digest_world import DAY, NOW, START, XSS, build
from groundswell.analytics.digest.charts import charts
from groundswell.analytics.digest.email import email_payload
from groundswell.analytics.digest.render import data_uris, render_body, render_pdf
from groundswell.analytics.digest.schemas import DigestRead
from groundswell.analytics.digest.service import build_digest
from groundswell.analytics.digest.team import team_figures
from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _pages(pdf: bytes, png: str) -> int:
    doc = pdfium.PdfDocument(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    doc[0].render(scale=1.5).to_pil().save(ARTIFACTS / png)
    return len(doc)


def test_figures_of_a_day(db: Database) -> None:
    ids = build(db)
    with db.session() as s:
        d = build_digest(s, subject_id=ids["brand"], period="day", day=DAY, now=NOW)
    m = d.moved
    assert m.volume.value == 240
    assert m.volume.baseline == 240
    assert m.negative_share.value is not None and m.negative_share.value > 0.05
    assert m.negative_share.baseline == 0.0
    assert "4 weeks" in m.baseline_label
    assert sum(m.hourly_volume) == 240 and len(m.hourly_volume) == 24
    assert m.alerts_total == 2 and m.alerts[0].severity == 8
    # The drill-down's summary, not the stored one: the storm's volume is that of any
    # hour that day (a post every six minutes), its negativity is not.
    assert "100% negative (usually 0%)" in m.alerts[0].summary
    assert [v.name for v in m.share_of_voice] == ["Acme Air", "Globex Air"]
    assert m.share_of_voice[0].share == 0.75
    assert d.why.samples and any("cancel" in t for t in d.why.rising_terms)
    team = d.team.current
    assert team.cases_opened == 8 and team.cases_resolved == 6
    assert team.first_response_median_min == 50.0
    assert team.sla_attainment == 0.375  # 3 of 8 answered within the hour
    assert team.csat == 4.33 and team.backlog == 2
    assert d.team.previous.cases_opened == 0
    kinds = [a.kind for a in d.actions]
    assert kinds[0] == "unanswered" and "#7" in d.actions[0].text
    # Value as a percentile (0.9 here); never the neutral default dressed up as a figure.
    assert "a customer in the 90th percentile by value" in d.actions[0].text
    assert not any("customer value 0.50" in a.text for a in d.actions)
    assert "emerging_complaint" in kinds
    assert [a.rank for a in d.actions] == list(range(1, len(d.actions) + 1))
    assert d.gaps == []


def _day_seen_at(db: Database, hours: int) -> DigestRead:
    """The digest of the world's day, asked for ``hours`` into it."""
    ids = build(db)
    with db.session() as s:
        return build_digest(
            s, subject_id=ids["brand"], period="day", day=DAY, now=START + timedelta(hours=hours)
        )


def test_a_period_not_over_is_compared_with_the_same_span_of_earlier_weeks(db: Database) -> None:
    """At noon the day holds half its posts; so do earlier weeks until noon: no change."""
    d = _day_seen_at(db, 12)
    m = d.moved
    assert m.volume.value == 120  # one post every 6 minutes, until noon
    assert m.volume.baseline == 120 and m.volume.change == 0.0
    assert m.negative_share.value == 0.0  # the storm comes at 14:00
    assert m.baseline_label == "same weekday of the previous 4 weeks, up to the same time"
    assert len(m.hourly_baseline) == 24 and m.hourly_baseline[20] == 10.0  # whole-day line
    # "Why" reads the day so far, not hours still to come
    assert "between 00:00 and 12:00 UTC on 23 Nov 2026" in d.why.summary
    # whole sentences only: the page never shows a sentence cut off
    assert d.why.summary.endswith(".") and len(d.why.summary) <= 300


def test_a_handful_of_earlier_posts_is_no_baseline(db: Database) -> None:
    """Ten posts in the same hour of earlier weeks: no percentage is computed against them."""
    d = _day_seen_at(db, 1)
    m = d.moved
    assert m.volume.value == 10
    assert m.volume.baseline is None and m.volume.change is None
    assert m.negative_share.baseline is None and m.net_sentiment.baseline is None
    assert m.baseline_label.startswith("no earlier week to compare with (fewer than 30 posts")
    assert all(v is None for v in m.hourly_baseline)
    body = render_body(d, data_uris(charts(d)))
    assert "No seasonal baseline: no earlier week to compare with" in body


def test_team_figures_alone(db: Database) -> None:
    build(db)
    with db.session() as s:
        figures = team_figures(s, START, START + timedelta(days=1))
        empty = team_figures(s, START - timedelta(days=3), START - timedelta(days=2))
    assert figures.first_response_p90_min == 90.0 and figures.resolution_median_min == 170.0
    assert empty.first_response_median_min is None and empty.sla_attainment is None


def test_missing_data_is_said_not_zero(db: Database) -> None:
    ids = build(db)
    with db.session() as s:
        quiet = build_digest(
            s, subject_id=ids["brand"], period="day", day=DAY - timedelta(days=2), now=NOW
        )
        ongoing = build_digest(s, subject_id=ids["brand"], period="week", day=DAY, now=NOW)
    assert quiet.moved.volume.value is None
    assert any("No posts at all" in g for g in quiet.gaps)
    assert any("not over" in g for g in ongoing.gaps)
    body = render_body(quiet, data_uris(charts(quiet)))
    assert "no data" in body and "Incomplete data" in body


def test_refuses_topics_and_unknown_zones(db: Database) -> None:
    ids = build(db)
    with db.session() as s, pytest.raises(InvalidInputError) as topic:
        build_digest(s, subject_id=ids["topic"], period="day", day=DAY, now=NOW)
    assert topic.value.field == "subject_id"
    with db.session() as s, pytest.raises(InvalidInputError) as zone:
        build_digest(s, subject_id=ids["brand"], period="day", day=DAY, tz="Mars/Base", now=NOW)
    assert zone.value.field == "tz"


def test_pdf_is_one_page_and_escapes_posts(db: Database) -> None:
    ids = build(db)
    with db.session() as s:
        d = build_digest(
            s, subject_id=ids["brand"], period="day", day=DAY, tz="Europe/Paris", now=NOW
        )
    images = charts(d)
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    assert _pages(render_pdf(d, images), "digest-day.png") == 1
    body = render_body(d, data_uris(images))
    assert XSS not in body and "&lt;script&gt;" in body
    payload = email_payload(d, images, base_url="http://gs.example")
    assert XSS not in payload["html"]


def test_stays_one_page_with_long_names_and_many_alerts(db: Database) -> None:
    long_name = ("Acme Intercontinental Airways and Holiday Holdings " * 4)[:200]
    ids = build(db, brand_name=long_name.strip(), alerts=40)
    with db.session() as s:
        d = build_digest(s, subject_id=ids["brand"], period="week", day=DAY, now=NOW)
    assert d.moved.alerts_total == 40 and len(d.moved.alerts) == 5
    assert _pages(render_pdf(d, charts(d)), "digest-week-crowded.png") == 1
