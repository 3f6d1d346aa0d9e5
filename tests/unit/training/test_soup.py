"""Averaging trainings' weights (``model soup``): the arithmetic and the refusals.

The averaging is written for torch tensors and NumPy arrays alike, so it is tested here
without the training extra; the export and scoring around it are ``model train``'s own.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.training.soup import SoupError, average_states, soup


def test_the_soup_is_the_element_wise_mean_and_keeps_integer_buffers() -> None:
    a = {"w": np.array([[1.0, 2.0]]), "ids": np.array([0, 1, 2])}
    b = {"w": np.array([[3.0, 6.0]]), "ids": np.array([0, 1, 2])}
    c = {"w": np.array([[5.0, 1.0]]), "ids": np.array([0, 1, 2])}
    out = average_states([a, b, c], ["a", "b", "c"])
    assert np.allclose(out["w"], [[3.0, 3.0]])
    assert out["ids"].dtype.kind == "i" and list(out["ids"]) == [0, 1, 2]
    assert np.allclose(a["w"], [[1.0, 2.0]])  # the inputs are left as they were


def test_weights_of_different_networks_are_refused_by_name() -> None:
    a = {"w": np.zeros((2, 3))}
    with pytest.raises(SoupError, match="b: w has shape"):
        average_states([a, {"w": np.zeros((3, 3))}], ["a", "b"])
    with pytest.raises(SoupError, match="b: not the same network as a"):
        average_states([a, {"w": np.zeros((2, 3)), "extra": np.zeros(1)}], ["a", "b"])
    with pytest.raises(SoupError, match="at least two"):
        average_states([a], ["a"])


def test_a_folder_without_weights_is_named(tmp_path: Path) -> None:
    with pytest.raises(SoupError, match=r"empty: no weights\.pt"):
        soup(tmp_path / "out", sources=[tmp_path / "empty", tmp_path / "b"], version="v")


def test_trainings_whose_heads_started_apart_are_refused(tmp_path: Path) -> None:
    """Two seeds' heads start from different random weights: their average is worse."""
    for name, seed in (("a", 13), ("b", 7)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "weights.pt").write_bytes(b"")
        training = {"seed": seed, "layers": 6}
        (tmp_path / name / "metadata.json").write_text(json.dumps({"training": training}))
    with pytest.raises(SoupError, match=r"init seeds \[7, 13\].*--init-seed"):
        soup(tmp_path / "out", sources=[tmp_path / "a", tmp_path / "b"], version="v")


def test_the_command_wants_two_trainings_at_least(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["model", "soup", "--from", str(tmp_path), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "--from must be given 2 to 16 times" in result.output
