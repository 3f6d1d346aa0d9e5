"""Re-scoring stored posts on SQLite and PostgreSQL: afterwards the labels, subject links and
rollups are what a fresh import with the new model gives; a second run changes nothing;
posts people corrected keep their labels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from groundswell.channels.models import Channel
from groundswell.cli import app
from groundswell.core.db import Database
from groundswell.crm.corrections import correct
from groundswell.crm.models import Interaction, InteractionSubject
from groundswell.enrichment.base import Sentiment
from groundswell.listening.models import MinuteRollup, Subject
from groundswell.settings import Settings, get_settings
from groundswell.workers.importer import import_file
from groundswell.workers.rescore import RescoreRange, run_rescore
from gs_testing import truncate_all

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TEXTS = [
    "@acme lost my bag again, thanks for nothing",
    "thanks @acme, the crew was lovely",
    "acme flight delayed two hours",
    "where is my bag",
    "great service today, thanks",
    "acme app keeps crashing",
    "my bag arrived broken, acme",
    "just landed",
]


class KeywordSentiment:
    """A stand-in model that disagrees with VADER in predictable ways."""

    name = "keywords"
    version = "keywords-2"

    def analyze(self, text: str) -> Sentiment:
        lowered = text.lower()
        if "bag" in lowered:
            return Sentiment(-0.9, "negative", 0.8)
        if "thanks" in lowered:
            return Sentiment(0.7, "positive", 0.9)
        return Sentiment(0.05, "neutral", 0.6)


def _write_posts(path: Path) -> None:
    lines = []
    for n in range(40):
        created = T0 + timedelta(minutes=n % 5, seconds=n)
        out = n % 7 == 6
        doc = {
            "channel": "twitter" if n % 3 else "mastodon",
            "external_id": f"p{n}",
            "text": TEXTS[n % len(TEXTS)] + ("" if not out else " (our reply)"),
            "created_at": created.isoformat(),
            "direction": "out" if out else "in",
            "author": {"external_id": "brand" if out else f"u{n % 9}", "followers": 10 * n},
            "engagement": {"likes": n % 4},
        }
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")


def _subjects(db: Database, *names_queries: tuple[int, str, str, bool]) -> None:
    with db.session() as s:
        for sid, name, query, active in names_queries:
            s.add(Subject(id=sid, name=name, query=query, active=active))


def _state(db: Database) -> tuple[dict[object, object], dict[str, object], set[tuple[str, int]]]:
    """Rollups, labels and links keyed by channel key and external id, not by row ids.

    Influence is left out: a re-score reads the author's follower count as it is now,
    while an import reads it as each post carried it.
    """
    with db.session() as s:
        keys = {c.id: c.key for c in s.scalars(select(Channel))}
        rollups = {
            (r.minute, r.subject_id, keys[r.channel_id], r.sentiment_label): (
                r.count,
                round(r.sentiment_sum, 6),
            )
            for r in s.scalars(select(MinuteRollup))
            if r.count or abs(r.sentiment_sum) > 1e-9
        }
        rows = list(s.scalars(select(Interaction)))
        by_id = {r.id: f"{keys[r.channel_id]}/{r.external_id}" for r in rows}
        labels: dict[str, object] = {
            by_id[r.id]: (
                r.sentiment_label,
                r.sentiment_score,
                r.sentiment_confidence,
                r.sentiment_model,
                tuple(r.subject_ids),
                r.language,
            )
            for r in rows
        }
        links = {
            (by_id[i], sid)
            for i, sid in s.execute(
                select(InteractionSubject.interaction_id, InteractionSubject.subject_id)
            )
        }
    return rollups, labels, links


def _external(db: Database, external_id: str) -> int:
    with db.session() as s:
        return int(
            s.scalars(select(Interaction.id).where(Interaction.external_id == external_id)).one()
        )


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    path = tmp_path / "posts.jsonl"
    _write_posts(path)
    return path


def test_rescore_matches_a_fresh_import_and_converges(
    db: Database, settings: Settings, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported with VADER and one subject; "Paused" matched "crew" while it was active.
    _subjects(db, (1, "Acme", "acme", True), (3, "Paused", "crew", True))
    import_file(settings, posts, "native", db=db)
    with db.session() as s:
        s.get(Subject, 3).active = False  # type: ignore[union-attr]
        s.add(Subject(id=2, name="Bags", query="bag"))
    with db.session() as s:
        correct(
            s,
            interaction_id=_external(db, "p3"),
            user_id=None,
            sentiment_label="positive",
            intents=["praise"],
        )
    vader_state = _state(db)
    assert vader_state[1]["twitter/p1"][3].startswith("vader-")  # type: ignore[index]

    monkeypatch.setattr(
        "groundswell.enrichment.pipeline.get_sentiment_analyzer", lambda mode: KeywordSentiment()
    )
    seen: list[int] = []
    report = run_rescore(
        db, RescoreRange(since=T0 - timedelta(days=1), batch_size=7), progress=seen.append
    )
    assert report.scanned == 40 and sum(seen) == 40 and report.batches == 6
    assert report.kept_corrected == 1
    assert report.changed > 20 and report.relinked > 0 and report.rollup_cells > 0
    rescored = _state(db)
    # The corrected post kept the person's label.
    assert rescored[1]["mastodon/p3"][:4] == ("positive", 1.0, 1.0, "human")
    # A paused subject keeps the posts it had; new subjects pick up old posts.
    assert ("twitter/p1", 3) in rescored[2] and ("twitter/p1", 2) not in rescored[2]
    assert ("mastodon/p0", 2) in rescored[2] and ("twitter/p2", 2) not in rescored[2]

    again = run_rescore(db, RescoreRange(since=T0 - timedelta(days=1), batch_size=5))
    assert (again.changed, again.rollup_cells, again.scanned) == (0, 0, 40)
    assert _state(db) == rescored

    # The same posts imported afresh with the new model and subjects, plus the same
    # correction and the paused subject's old links, give exactly the same numbers.
    truncate_all(db)
    _subjects(db, (1, "Acme", "acme", True), (2, "Bags", "bag", True), (3, "Paused", "crew", True))
    import_file(settings, posts, "native", db=db)
    with db.session() as s:
        s.get(Subject, 3).active = False  # type: ignore[union-attr]
    with db.session() as s:
        correct(
            s,
            interaction_id=_external(db, "p3"),
            user_id=None,
            sentiment_label="positive",
            intents=["praise"],
        )
    assert _state(db) == rescored


def test_range_and_include_corrected(
    db: Database, settings: Settings, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subjects(db, (1, "Acme", "acme", True))
    import_file(settings, posts, "native", db=db)
    corrected = _external(db, "p3")
    intents_only = _external(db, "p11")
    with db.session() as s:
        correct(s, interaction_id=corrected, user_id=None, sentiment_label="positive", intents=None)
        correct(
            s, interaction_id=intents_only, user_id=None, sentiment_label=None, intents=["spam"]
        )
    monkeypatch.setattr(
        "groundswell.enrichment.pipeline.get_sentiment_analyzer", lambda mode: KeywordSentiment()
    )
    window = RescoreRange(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))
    report = run_rescore(db, window)
    assert report.scanned == 8  # minute 1 only: n % 5 == 1
    with db.session() as s:
        models = {r.external_id: r.sentiment_model for r in s.scalars(select(Interaction))}
    assert {k for k, v in models.items() if v == "keywords-2"} == {f"p{n}" for n in range(1, 40, 5)}
    with db.session() as s:
        row = s.get(Interaction, intents_only)
        # Its sentiment was re-scored; the intents a person set stayed.
        assert row is not None and row.sentiment_model == "keywords-2"
        assert (row.intent, row.intents) == ("spam", {"spam": 1.0})
    everything = run_rescore(db, RescoreRange(since=T0, include_corrected=True))
    assert everything.kept_corrected == 0
    with db.session() as s:
        row = s.get(Interaction, corrected)
        assert row is not None and row.sentiment_model == "keywords-2"


@pytest.fixture
def env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last tuesday"], "is not an ISO 8601 date"),
        (["--since", "2999-01-01"], "is in the future"),
        (["--since", "2024-05-02", "--until", "2024-05-01"], "must be after --since"),
        (["--since", "2024-05-01", "--until", "soon"], "--until 'soon' is not an ISO 8601"),
    ],
)
def test_command_refuses_bad_times(env: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["rescore", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_command_needs_since(env: str) -> None:
    result = CliRunner().invoke(app, ["rescore"])
    assert result.exit_code == 2
    assert "--since" in result.output


def test_command_rescores(env: str, posts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(posts)]).exit_code == 0
    monkeypatch.setattr(
        "groundswell.enrichment.pipeline.get_sentiment_analyzer", lambda mode: KeywordSentiment()
    )
    result = runner.invoke(app, ["rescore", "--since", "2024-05-01", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "40 posts read in 1 batches" in result.output
    result = runner.invoke(
        app, ["rescore", "--since", "2024-05-01T00:00:00Z", "--batch-size", "10"]
    )
    assert result.exit_code == 0, result.output
    assert "40 posts read in 4 batches: 0 changed" in result.output


class CrashingEnricher:
    """Delegates to a real enricher, and dies on the batch numbered ``crash_at``."""

    def __init__(self, crash_at: int) -> None:
        from groundswell.enrichment.pipeline import Enricher

        self.inner = Enricher()
        self.calls = 0
        self.crash_at = crash_at

    def set_subjects(self, subjects: list[tuple[int, str]]) -> None:
        self.inner.set_subjects(subjects)

    def enrich_many(self, facts: object) -> object:
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("worker killed")
        return self.inner.enrich_many(facts)  # type: ignore[arg-type]


def test_a_crash_leaves_whole_batches_and_a_rerun_converges(
    db: Database, settings: Settings, posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subjects(db, (1, "Acme", "acme", True))
    import_file(settings, posts, "native", db=db)
    monkeypatch.setattr(
        "groundswell.enrichment.pipeline.get_sentiment_analyzer", lambda mode: KeywordSentiment()
    )
    scope = RescoreRange(since=T0, batch_size=10)
    with pytest.raises(RuntimeError, match="worker killed"):
        run_rescore(db, scope, enricher=CrashingEnricher(crash_at=3))  # type: ignore[arg-type]
    with db.session() as s:
        models = [
            r.sentiment_model for r in s.scalars(select(Interaction).order_by(Interaction.id))
        ]
    assert models[:20] == ["keywords-2"] * 20
    assert all(m is not None and m.startswith("vader-") for m in models[20:])
    report = run_rescore(db, scope)
    assert report.changed == 20
    converged = _state(db)
    truncate_all(db)
    _subjects(db, (1, "Acme", "acme", True))
    import_file(settings, posts, "native", db=db)
    assert _state(db) == converged
