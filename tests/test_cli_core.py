"""`p2pfile number` and `p2pfile message`, called as main(argv) -> int."""

from __future__ import annotations

import io
import json

import pytest

from p2pfile.cli import main


def test_number_prints_e164_operator_and_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["number", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "+971501234567"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "'۰۹۱۲ ۳۴۵ ۶۷۸۹': +989123456789 MCI "
        "[P101 non-ascii-digits, P102 formatting-characters, P103 non-e164]"
    )
    assert out[1] == "'+971501234567': +971501234567 foreign (P203 unless allow-foreign)"


def test_number_explains_invalid_values_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["number", "09121234567", "9.12346E+09"]) == 1
    out = capsys.readouterr().out
    assert "invalid (P206 scientific-notation)" in out
    assert "re-export the column" in out


def test_number_json_and_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("09121234567\r\n9123456789.0\n"))
    assert main(["number", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["e164"] for r in rows] == ["+989121234567", "+989123456789"]
    assert [f["code"] for f in rows[1]["forms"]] == ["P103", "P104", "P105"]
    assert rows[0]["national"] == "09121234567"


def test_message_points_at_what_forces_ucs2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["message", "Your code is \u201c1234\u201d"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "UCS-2, 19 UTF-16 units, 1 part (70 units per part), 19 characters"
    )
    assert "column 14: U+201C LEFT DOUBLE QUOTATION MARK" in out


def test_message_json_counts_the_suffix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["message", "--json", "--suffix", " لغو11", "a" * 160]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["encoding"], row["units"], row["parts"]) == ("UCS-2", 166, 3)
    assert row["non_gsm"][0]["index"] == 161  # the space at 160 is GSM


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["number"]) == 2
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("p2pfile, version ")
