"""The ``groundswell`` command: import, rejects, users and tokens, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.core.db import Database
from groundswell.crm.models import Interaction
from groundswell.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GROUNDSWELL_BROKER_URL", "memory://")
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def post(ext: str, text: str = "my flight is late") -> str:
    return json.dumps(
        {
            "channel": "twitter",
            "external_id": ext,
            "text": text,
            "created_at": "2024-01-01T00:00:00Z",
            "author": {"external_id": f"a{ext}"},
        }
    )


def stored(url: str) -> int:
    db = Database(get_settings())
    with db.session() as s:
        n = int(s.scalar(select(func.count()).select_from(Interaction)) or 0)
    db.dispose()
    return n


def test_import_keeps_good_records_and_lists_the_bad(env: str, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join([post("1"), "{oops", post("2", text=""), post("3")]) + "\n")
    result = runner.invoke(app, ["import", str(path), "--format", "native"])
    assert result.exit_code == 0, result.output
    assert "4 records read: 2 accepted, 2 rejected, 2 newly stored" in result.output
    assert stored(env) == 2
    result = runner.invoke(app, ["rejects", "--source", "import:posts.jsonl"])
    assert result.exit_code == 0
    assert "line 2" in result.output and "JSON" in result.output
    assert "line 3 [text]" in result.output
    assert "2 shown of 2 rejected records" in result.output
    again = runner.invoke(app, ["import", str(path)])
    assert "0 newly stored, 2 already known" in again.output
    assert stored(env) == 2


def test_unreadable_files_exit_non_zero_with_the_reason(env: str, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b,c\n1,2,3\n")
    result = runner.invoke(app, ["import", str(wrong), "--format", "airline"])
    assert result.exit_code == 2
    assert "wrong.csv" in result.output and "tweet_id" in result.output
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "nope.jsonl" in missing.output
    unknown = runner.invoke(app, ["import", str(wrong), "--format", "xml"])
    assert unknown.exit_code == 2 and "unknown format 'xml'" in unknown.output


def test_user_and_token(env: str) -> None:
    ok = runner.invoke(
        app,
        ["user", "create", "--email", "Ann@Example.com", "--role", "analyst"],
        input="marble-otter-quarry-51\nmarble-otter-quarry-51\n",
    )
    assert ok.exit_code == 0, ok.output
    assert "created analyst ann@example.com" in ok.output
    dup = runner.invoke(
        app,
        ["user", "create", "--email", "ann@example.com"],
        input="marble-otter-quarry-51\nmarble-otter-quarry-51\n",
    )
    assert dup.exit_code == 2 and "exists" in dup.output
    bad = runner.invoke(
        app,
        ["user", "create", "--email", "x@y.z", "--role", "king"],
        input="marble-otter-quarry-51\n" * 2,
    )
    assert bad.exit_code == 2 and "role" in bad.output
    short = runner.invoke(app, ["user", "create", "--email", "b@y.z"], input="short\nshort\n")
    assert short.exit_code == 2 and "password" in short.output
    token = runner.invoke(app, ["token", "create", "--email", "ann@example.com"])
    assert token.exit_code == 0 and token.output.startswith("gsk_")
    nobody = runner.invoke(app, ["token", "create", "--email", "nobody@example.com"])
    assert nobody.exit_code == 2


def test_worker_refuses_the_in_process_broker(env: str) -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2 and "memory://" in result.output


def test_operating_users_and_tokens(env: str) -> None:
    strong = "marble-otter-quarry-51\n" * 2
    for email, role in (("boss@example.com", "admin"), ("ann@example.com", "agent")):
        made = runner.invoke(
            app, ["user", "create", "--email", email, "--role", role], input=strong
        )
        assert made.exit_code == 0, made.output
    weak = runner.invoke(app, ["user", "password", "ann@example.com"], input="password1234\n" * 2)
    assert weak.exit_code == 2 and "password" in weak.output and "weak" in weak.output
    changed = runner.invoke(
        app, ["user", "password", "ann@example.com"], input="quartz-pelican-mosaic-8\n" * 2
    )
    assert changed.exit_code == 0 and "password changed" in changed.output
    token = runner.invoke(
        app, ["token", "create", "--email", "ann@example.com", "--scope", "read", "--days", "7"]
    )
    assert token.exit_code == 0 and token.output.startswith("gsk_")
    too_much = runner.invoke(
        app, ["token", "create", "--email", "ann@example.com", "--scope", "admin"]
    )
    assert too_much.exit_code == 2 and "admin scope" in too_much.output
    listing = runner.invoke(app, ["token", "list"])
    assert listing.exit_code == 0
    assert "ann@example.com" in listing.output and "read " in listing.output
    assert token.output.strip() not in listing.output
    token_id = listing.output.split()[0]
    revoked = runner.invoke(app, ["token", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    assert "revoked" in runner.invoke(app, ["token", "list"]).output
    assert runner.invoke(app, ["token", "revoke", "99999"]).exit_code == 2
    off = runner.invoke(app, ["user", "deactivate", "ann@example.com"])
    assert off.exit_code == 0 and "deactivated" in off.output
    assert "DEACTIVATED" in runner.invoke(app, ["user", "list"]).output
    assert runner.invoke(app, ["user", "deactivate", "nobody@example.com"]).exit_code == 2
    ended = runner.invoke(app, ["user", "end-sessions", "boss@example.com"])
    assert ended.exit_code == 0 and "0 session(s)" in ended.output
    log = runner.invoke(app, ["audit"])
    assert log.exit_code == 0
    for action in ("user.create", "user.password", "token.create", "token.revoke"):
        assert action in log.output
    assert "quartz" not in log.output and "gsk_" not in log.output


def test_production_refuses_to_serve_with_the_default_key(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROUNDSWELL_ENVIRONMENT", "production")
    monkeypatch.delenv("GROUNDSWELL_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "GROUNDSWELL_SECRET_KEY is not set" in result.output
