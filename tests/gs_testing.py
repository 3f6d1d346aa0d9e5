"""Helpers shared by tests, importable as ``gs_testing`` from any test folder.

Kept out of conftest.py because ``from conftest import …`` resolves to whichever
conftest pytest imported last once sub-folders have their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_data(*parts: str) -> Path:
    """Path of a shared data set file, or skip the test saying where it was looked for."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"data set not found at {path}")
    return path
