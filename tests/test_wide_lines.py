"""A line of very many fields (a 50 MB single line) is read without polars: one
column per field, and expressions per column, made such files take hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from p2pfile import _read_csv
from p2pfile.cli import main
from p2pfile.reader import read_file


def _no_polars(*_: object, **__: object) -> None:
    raise AssertionError("the fast path read a file of 100,000 fields a line")


def test_a_single_line_of_many_fields_is_read_by_the_exact_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"09121234567," * 100_000)
    monkeypatch.setattr(_read_csv, "_polars_frame", _no_polars)
    result = read_file(path)
    assert result.frame.height == 1
    assert result.frame.row(0, named=True)["recipient"] == "09121234567"
    codes = [(i.code, i.line) for i in result.issues]
    assert ("F205", 1) in codes
    (f205,) = [i for i in result.issues if i.code == "F205"]
    assert f205.message.startswith("record has 100000 fields")


def test_a_wide_header_goes_to_the_exact_pass_and_rows_stay_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(["recipient", "message", *(f"c{i}" for i in range(100))])
    path.write_text(header + "\n09121234567,hi\n09351234567,bye\n", encoding="utf-8")
    monkeypatch.setattr(_read_csv, "_polars_frame", _no_polars)
    result = read_file(path)
    assert result.frame.select("line", "recipient", "message").rows() == [
        (2, "09121234567", "hi"),
        (3, "09351234567", "bye"),
    ]


def test_check_of_a_single_wide_line_is_findings_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"09121234567," * 200_000)
    out = tmp_path / "report.json"
    assert main(["check", str(path), "--output-format", "json", "-o", str(out)]) == 1
    assert '"F205"' in out.read_text(encoding="utf-8")
