"""Fixtures shared by the reader tests."""

from __future__ import annotations

import pytest

from p2pfile import _read_csv, _read_xlsx


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


@pytest.fixture(params=["after", "beside"])
def xlsx_scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an XLSX test with the sheet's XML scan after the text load, then beside it
    (as for a big workbook): both ways must give the same cells."""
    beside = request.param == "beside"
    monkeypatch.setattr(_read_xlsx, "CONCURRENT_BYTES", 0 if beside else 1 << 40)
    return str(request.param)
