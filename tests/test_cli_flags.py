"""The commands that judge rows (check, fix, stats, send) take the same rule flags,
and fix and stats read standard input where that makes sense."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import pytest

from p2pfile.cli import _RULE_FLAG_NAMES, cli, main

#: A file check --allow-foreign passes: three foreign mobiles and one Iranian.
FOREIGN = (
    "recipient,message\n"
    "+447911123456,hello uk\n"
    "+971501234567,hello uae\n"
    "+905321234567,hello tr\n"
    "09121234567,hello ir\n"
)
ROW_COMMANDS = ("fix", "stats", "send")


def _command(name: str) -> click.Command:
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert command is not None
    return command


def _option_spec(param: click.Parameter) -> tuple[object, ...]:
    assert isinstance(param, click.Option)
    return (
        tuple(param.opts),
        tuple(param.secondary_opts),
        param.multiple,
        repr(param.type),
        param.default,
        param.help,
        param.metavar,
    )


def _rule_options(command: click.Command) -> dict[str, tuple[object, ...]]:
    return {
        p.name: _option_spec(p)
        for p in command.params
        if p.name in _RULE_FLAG_NAMES and isinstance(p, click.Option)
    }


@pytest.mark.parametrize("name", ROW_COMMANDS)
def test_every_command_that_judges_rows_takes_checks_rule_flags(name: str) -> None:
    expected = _rule_options(_command("check"))
    assert set(expected) == set(_RULE_FLAG_NAMES)
    assert _rule_options(_command(name)) == expected


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "foreign.csv"
    path.write_text(FOREIGN, encoding="utf-8")
    return path


def test_fix_allow_foreign_writes_what_check_allow_foreign_passes(
    foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--isolated", "--allow-foreign", str(foreign)]) == 0
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    argv = ["fix", "--isolated", str(foreign), "-o", str(out), "--rejects", str(rejects)]
    assert main([*argv, "--allow-foreign"]) == 0
    assert out.read_text("utf-8").splitlines()[1:] == [
        "+447911123456,hello uk",
        "+971501234567,hello uae",
        "+905321234567,hello tr",
        "+989121234567,hello ir",
    ]
    assert "4 written" in capsys.readouterr().out
    # Without the flag the same rows are rejected: the flag is what changed it.
    assert main(argv) == 0
    assert "3 rejected" in capsys.readouterr().out


def test_fix_flags_win_over_the_config_file(
    foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p2pfile.toml").write_text("allow-foreign = true\n", "utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    argv = ["fix", str(foreign), "-o", str(out), "--rejects", str(rejects), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)[0]["rows_written"] == 4
    assert main([*argv, "--no-allow-foreign"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["rows_rejected"] == 3


@pytest.mark.parametrize(
    "flags", [["--ignore", "P203"], ["--allow-foreign"], ["--allowed-regions", "gg,AE,TR"]]
)
def test_stats_counts_foreign_rows_as_sent_with_check_flags(
    foreign: Path, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stats", "--isolated", "--output-format", "json", str(foreign)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    assert main([*argv, *flags]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 4


def test_send_dry_run_takes_the_rule_flags(
    foreign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send", "--isolated", str(foreign), "--from", "+983000505", "--dry-run", "--json"]
    argv += ["--journal", str(tmp_path / "journal.sqlite3")]
    assert main(argv) == 1  # three rows no safe fix can save
    capsys.readouterr()
    assert main([*argv, "--allow-foreign"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["sent"] == 4


def test_a_bad_rule_flag_is_a_usage_error_on_fix_and_stats(
    foreign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix", "--isolated", "--diff", "--select", "P999", str(foreign)]) == 2
    assert "unknown rule" in capsys.readouterr().err
    assert main(["stats", "--isolated", "--max-parts", "0", str(foreign)]) == 2
    assert "max-parts" in capsys.readouterr().err


# --------------------------------------------------------------------------- standard input


class _Stdin(io.TextIOWrapper):
    """Standard input holding ``data``, read as bytes through ``.buffer``."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")


def test_fix_reads_standard_input_into_an_output_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    argv = ["fix", "--isolated", "-", "-o", str(out), "--rejects", str(rejects)]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"-: 4 rows in, 1 written to {out}, 3 rejected, 0 duplicates dropped"
    )
    assert out.read_text("utf-8") == "recipient,message\n+989121234567,hello ir\n"
    assert rejects.read_text("utf-8").count("P203") == 3


def test_fix_diff_of_standard_input_names_it_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(b"recipient,message\n09121234567,hi\n"))
    assert main(["fix", "--isolated", "--diff", "-"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == "-:2: fixed (P103)"


def test_fix_errors_about_standard_input_name_it_dash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(b""))
    assert main(["fix", "--isolated", "-", "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("p2pfile: error: -: the file is empty")
    assert "p2pfile-stdin" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fix", "-"], "standard input cannot be fixed in place: give -o FILE"),
        (["fix", "-", "other.csv"], "'-' (standard input) must be the only file to fix"),
        (["stats", "-", "-"], "'-' (standard input) can be read only once"),
    ],
)
def test_standard_input_misuse_is_a_one_line_usage_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    stdin = _Stdin(FOREIGN.encode())
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert stdin.buffer.tell() == 0  # refused before reading


def test_stats_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, foreign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["stats", "--isolated", "--output-format", "json", "-", str(foreign)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["sent"]) for f in data["files"]] == [("-", 1), (str(foreign), 1)]


# --------------------------------------------------------------------------- several files


def test_fix_of_several_files_refuses_an_xlsx_in_place_before_writing_any(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The order of the names must not decide which files were changed before the error."""
    a = tmp_path / "a.csv"
    a.write_text("recipient,message\n9121234567,hi\n", encoding="utf-8")
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not read")
    before = a.read_bytes()
    assert main(["fix", "--isolated", str(a), str(book)]) == 2
    assert a.read_bytes() == before
    assert "nothing was fixed" in capsys.readouterr().err


@pytest.mark.parametrize("order", [1, -1])
def test_fix_of_several_files_fixes_the_others_and_says_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], order: int
) -> None:
    """A file fix refuses for what it holds (a broken record cannot be written back in
    place) is named; every other file is fixed and summarized; exit 2."""
    good = tmp_path / "good.csv"
    good.write_text("recipient,message\n9121234567,hi\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text("recipient,message\n09121234567\n09351234567,ok\n", encoding="utf-8")
    assert main(["fix", "--isolated", *[str(p) for p in (good, broken)][::order]]) == 2
    out, err = capsys.readouterr()
    assert good.read_text(encoding="utf-8") == "recipient,message\n+989121234567,hi\n"
    assert f"{good}: 1 row in, 1 written" in out
    assert f"p2pfile: error: {broken}:" in err


def test_fix_of_several_files_names_rows_repeated_across_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team 8: fix called a file clean (remaining 0) whose row check then flagged as
    D103, sent twice if both files are uploaded."""
    first = tmp_path / "a.csv"
    first.write_text("recipient,message\n09121234567,hello\n09351112222,x\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("recipient,message\n+989121234567,hello\n", encoding="utf-8")
    paths = [str(first), str(second)]
    assert main(["fix", "--isolated", *paths]) == 0  # D103 is a warning
    out = capsys.readouterr().out
    assert f"{second}: 1 row also in an earlier file (D103): line 2 has the same" in out
    assert f"as {first}:2" in out
    assert main(["fix", "--isolated", "--json", *paths]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["remaining"] for d in data] == [0, 1]
    (tmp_path / "p2pfile.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    assert main(["fix", *paths]) == 1
    capsys.readouterr()
    # Red team 9: a third file fix refuses (a column it would lose) left the repeat
    # between the other two unsaid.
    wide = tmp_path / "c.csv"
    wide.write_text("recipient,message,city\n09121234567,hello,Tehran\n", encoding="utf-8")
    assert main(["fix", *paths, str(wide)]) == 2
    assert f"{second}: 1 row also in an earlier file (D103)" in capsys.readouterr().out
