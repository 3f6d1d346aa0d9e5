"""``groundswell model retrain`` takes corrections from the database, gates, promotes;
``versions`` lists them and ``activate`` rolls back. No PyTorch: a model folder is judged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.core.db import Database
from groundswell.crm.corrections import correct
from groundswell.crm.models import Interaction
from groundswell.enrichment.model.store import SHIPPED, ModelStore
from groundswell.settings import get_settings
from tests_model_store_helpers import candidate_folder

runner = CliRunner()


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GROUNDSWELL_BROKER_URL", "memory://")
    monkeypatch.setenv("GROUNDSWELL_SENTIMENT", "lexicon")
    monkeypatch.setenv("GROUNDSWELL_MODEL_STORE_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def test_retrain_gates_promotes_and_rolls_back(env: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    texts = [f"@united flight {n} was cancelled and nobody helped" for n in range(25)]
    posts.write_text(
        "\n".join(
            json.dumps(
                {
                    "channel": "twitter",
                    "external_id": str(n),
                    "text": text,
                    "created_at": "2024-01-01T00:00:00Z",
                    "author": {"external_id": f"a{n}"},
                }
            )
            for n, text in enumerate(texts)
        )
        + "\n"
    )
    assert runner.invoke(app, ["import", str(posts), "--format", "native"]).exit_code == 0
    db = Database(get_settings())
    with db.session() as s:
        for iid in s.scalars(select(Interaction.id)).all():
            correct(
                s,
                interaction_id=iid,
                user_id=None,
                sentiment_label="negative",
                intents=["complaint"],
            )
    db.dispose()

    folder = candidate_folder(tmp_path / "cand", "minilm-sent-r2")
    result = runner.invoke(
        app,
        ["model", "retrain", "--candidate-dir", str(folder), "--data-dir", str(tmp_path / "no")],
    )
    assert result.exit_code == 0, result.output
    assert "25 corrections:" in result.output
    assert "corrections_held_out" in result.output and "intent_sample" in result.output
    assert "intent head kept from the candidate (data file not found" in result.output
    assert "intent_f1:purchase_intent" in result.output
    assert "model version 2 (minilm-sent-r2): promoted: now in use" in result.output
    assert ModelStore(env).active() == 2

    listed = runner.invoke(app, ["model", "versions"])
    assert listed.exit_code == 0
    assert "* v2  minilm-sent-r2" in listed.output and "gate passed" in listed.output

    back = runner.invoke(app, ["model", "activate", "1"])
    assert back.exit_code == 0 and "model version 1 active (was 2)" in back.output
    assert ModelStore(env).active() == SHIPPED
    missing = runner.invoke(app, ["model", "activate", "7"])
    assert missing.exit_code == 2 and "not in the store" in missing.output
