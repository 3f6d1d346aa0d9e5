"""Under ``GROUNDSWELL_REQUIRE_SERVICES=1`` (CI) a missing data set fails, never skips."""

from __future__ import annotations

import pytest

import gs_testing


def test_missing_data_fails_when_services_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUNDSWELL_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="data set not found"):
        gs_testing.require_data("no-such-set", "missing.csv")


def test_missing_data_skips_on_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROUNDSWELL_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception):
        gs_testing.require_data("no-such-set", "missing.csv")
