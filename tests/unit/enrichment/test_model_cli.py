"""``groundswell model info`` and ``evaluate`` on the shipped files; clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from groundswell.commands.model import app

runner = CliRunner()


def test_info_prints_the_version_and_held_out_metrics() -> None:
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    assert "model version: minilm-sent-" in result.output
    assert "semeval_test" in result.output and "macro_recall" in result.output


def test_info_on_a_folder_without_a_model_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "--model-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "metadata.json" in result.output


def test_evaluate_without_the_data_sets_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "data file not found" in result.output


def test_train_refuses_a_bad_version_before_any_work() -> None:
    result = runner.invoke(app, ["train", "--version", "x" * 61])
    assert result.exit_code == 2
    assert "--version must be 1 to 60 characters" in result.output
