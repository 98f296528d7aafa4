"""Fixtures shared by the reader tests."""

from __future__ import annotations

import pytest

from p2pfile import _read_csv


@pytest.fixture(params=["fast", "exact"])
def both_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the polars fast path, then with only the exact pass."""
    if request.param == "exact":
        monkeypatch.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
    return str(request.param)


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the exact pass runs: the fast path must take the file."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the exact pass ran")

    monkeypatch.setattr(_read_csv._Scanner, "run", refuse)
