"""Which settings apply to which file, as ruff resolves them: each file its closest
config file, flags layered on top, globs anchored at their config file, standard
input named by --stdin-filename, and every file of a run checked once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from p2pfile import check
from p2pfile.cli import main

#: A file with one error (P202, a number one digit short) and nothing else.
BAD = "recipient,message\n+98912123456,hello\n"
CLEAN = "recipient,message\n+989121234567,hello\n"
#: One row with a warning only (P102 formatting characters).
SPACED = "recipient,message\n0912 123 4567,hi\n"
#: A valid foreign mobile: rejected (P203) unless allowed.
FOREIGN = "recipient,message\n+447911123456,hello uk\n"


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A root config, and archive/ whose own config ignores every rule."""
    _write(tmp_path / "pyproject.toml", "[tool.p2pfile]\nmax-parts = 20\n")
    _write(tmp_path / "archive" / "p2pfile.toml", 'ignore = ["ALL"]\n')
    _write(tmp_path / "archive" / "old.csv", BAD)
    _write(tmp_path / "clean.csv", CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _paths(capsys: pytest.CaptureFixture[str]) -> list[str]:
    data = json.loads(capsys.readouterr().out)
    return sorted({d["path"] for d in data["diagnostics"]})


# --- 1. each file its closest config --------------------------------------------------


@pytest.mark.parametrize(
    "paths", [["archive/old.csv", "clean.csv"], ["clean.csv", "archive/old.csv"], []]
)
def test_each_file_uses_the_config_closest_to_it(project: Path, paths: list[str]) -> None:
    # Under pre-commit the files passed are whatever is staged: the verdict on
    # archive/old.csv must not depend on what else is committed.
    assert main(["check", "archive/old.csv"]) == 0
    assert main(["check", *paths]) == 0


def test_config_and_isolated_still_apply_one_config_to_every_file(project: Path) -> None:
    _write(project / "strict.toml", "max-parts = 20\n")
    assert main(["check", "."]) == 0
    assert main(["check", "--config", "strict.toml", "archive/old.csv", "clean.csv"]) == 1
    assert main(["check", "--isolated", "."]) == 1


def test_cross_file_duplicates_compare_files_of_different_configs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The later file's config says how bad a cross-file duplicate is in it.
    _write(project / "archive" / "p2pfile.toml", '[severity]\nD103 = "error"\n')
    _write(project / "archive" / "copy.csv", CLEAN)
    assert main(["check", "--output-format", "json", "clean.csv", "archive/copy.csv"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(d["path"], d["code"], d["severity"]) for d in data["diagnostics"]] == [
        ("archive/copy.csv", "D103", "error")
    ]


def test_a_file_whose_config_ignores_d103_still_holds_the_earlier_copy(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # archive/ ignores ALL: its copy is not reported there, but it is still the
    # earlier copy of the row clean.csv repeats, which the root's config reports.
    _write(project / "archive" / "copy.csv", CLEAN)
    argv = ["check", "--output-format", "json", "--fail-on", "warning"]
    assert main([*argv, "archive/copy.csv", "clean.csv"]) == 1
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [(d["path"], d["code"]) for d in found] == [("clean.csv", "D103")]
    assert main([*argv, "clean.csv", "archive/copy.csv"]) == 0


def test_many_files_in_several_configs_each_get_their_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Files of one config are checked together (batched): interleaved with another
    # config's files, each must still be judged by its own.
    for d in ("a", "b"):
        for i in range(5):
            _write(tmp_path / f"{d}{i}" / "x.csv", BAD if d == "a" else SPACED)
        _write(tmp_path / f"{d}0" / "p2pfile.toml", "")
    for i in range(5):
        _write(tmp_path / f"a{i}" / "p2pfile.toml", 'ignore = ["P2"]\n')
        _write(tmp_path / f"b{i}" / "p2pfile.toml", 'extend-select = ["P103"]\n')
    assert main(["check", "--output-format", "json", "--ignore", "D103", str(tmp_path)]) == 0
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert sorted({(Path(d["path"]).parent.name, d["code"]) for d in found}) == [
        (f"b{i}", code) for i in range(5) for code in ("P102", "P103")
    ]


def test_stats_and_fix_judge_each_file_by_its_own_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "intl" / "p2pfile.toml", "allow-foreign = true\n")
    _write(tmp_path / "intl" / "f.csv", FOREIGN)
    _write(tmp_path / "local" / "f.csv", FOREIGN)
    monkeypatch.chdir(tmp_path)
    assert main(["stats", "--output-format", "json", "intl/f.csv", "local/f.csv"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["sent"]) for f in data["files"]] == [
        ("intl/f.csv", 1),
        ("local/f.csv", 0),
    ]
    _write(tmp_path / "clean.csv", CLEAN)
    assert main(["fix", "intl/f.csv", "clean.csv"]) == 0  # nothing remains in either
    assert main(["fix", "local/f.csv", "clean.csv"]) == 1  # P203 remains


def test_a_directory_name_too_long_is_a_finding_not_an_internal_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its config is looked up before it is read: the lookup must not raise.
    long = "x" * 300 + "/f.csv"
    assert main(["check", "--output-format", "concise", long, "clean.csv"]) == 1
    assert f"{long}:1: F101 " in capsys.readouterr().out


# --- 2. globs anchored at their config file -------------------------------------------


def test_per_file_ignores_do_not_depend_on_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "files" / "cfg"
    _write(cfg / "pyproject.toml", '[tool.p2pfile]\nper-file-ignores = { "b/*.csv" = ["ALL"] }\n')
    _write(cfg / "a" / "b" / "m.csv", BAD)
    monkeypatch.chdir(cfg)
    assert main(["check", "a/b/m.csv"]) == 1  # b/ of the config's directory: not this one
    monkeypatch.chdir(cfg / "a")
    assert main(["check", "b/m.csv"]) == 1
    # Anchored at the config's directory, it matches wherever the check runs from.
    _write(cfg / "pyproject.toml", '[tool.p2pfile]\nper-file-ignores = { "a/b/*.csv" = ["ALL"] }\n')
    assert main(["check", "b/m.csv"]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["check", "files/cfg/a/b/m.csv"]) == 0
    # A glob without a "/" matches the base name at any depth, as in ruff.
    _write(cfg / "pyproject.toml", '[tool.p2pfile]\nper-file-ignores = { "m.csv" = ["ALL"] }\n')
    assert main(["check", "files/cfg/a/b/m.csv"]) == 0
    # A Windows user's backslashes mean what slashes do (fnmatch has no escapes).
    _write(
        cfg / "pyproject.toml",
        '[tool.p2pfile]\nper-file-ignores = { "a\\\\b\\\\*.csv" = ["ALL"] }\n',
    )
    assert main(["check", "files/cfg/a/b/m.csv"]) == 0


# --- 3. --select starts afresh ----------------------------------------------------------


def test_select_flag_overrides_the_configs_ignore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "p2pfile.toml", 'ignore = ["P", "M", "D"]\n')
    _write(tmp_path / "f.csv", BAD)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "f.csv"]) == 0
    capsys.readouterr()
    assert main(["check", "--output-format", "concise", "--select", "P2", "f.csv"]) == 1
    assert capsys.readouterr().out.startswith("f.csv:2: P202 ")
    # --extend-select adds to the config's selection, over its ignore.
    assert main(["check", "--extend-select", "P202", "f.csv"]) == 1
    # --ignore on the command line applies on top of --select.
    assert main(["check", "--select", "P2", "--ignore", "P202", "f.csv"]) == 0
    # per-file-ignores still apply after --select.
    _write(tmp_path / "p2pfile.toml", 'ignore = ["P"]\n[per-file-ignores]\n"f.csv" = ["P2"]\n')
    assert main(["check", "--select", "P2", "f.csv"]) == 0
    assert main(["check", "--select", "P20", "--extend-select", "P2", "f.csv"]) == 0


def test_api_select_starts_afresh_as_the_flag_does(tmp_path: Path) -> None:
    _write(tmp_path / "p2pfile.toml", 'ignore = ["P"]\n')
    path = _write(tmp_path / "f.csv", BAD)
    assert check(path).frame.height == 0
    assert check(path, select=["P2"]).frame.get_column("code").to_list() == ["P202"]


# --- 4. --stdin-filename ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("concise", "archive/new.csv:2: P202 "),
        ("github", "file=archive/new.csv,line=2"),
        ("sarif", '"uri":"archive/new.csv"'),
        ("json", '"path":"archive/new.csv"'),
    ],
)
def test_stdin_filename_names_standard_input_in_reports(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    expected: str,
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(BAD.encode()))
    argv = ["check", "--isolated", "--output-format", fmt, "--stdin-filename", "archive/new.csv"]
    assert main([*argv, "-"]) == 1
    assert expected in capsys.readouterr().out


def test_stdin_filename_finds_the_config_and_per_file_ignores_of_that_name(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(BAD.encode()))
    assert main(["check", "-"]) == 1  # the root's config
    monkeypatch.setattr("sys.stdin", _Stdin(BAD.encode()))
    assert main(["check", "--stdin-filename", "archive/new.csv", "-"]) == 0  # archive's
    _write(
        project / "pyproject.toml", '[tool.p2pfile]\nper-file-ignores = { "in/*.csv" = ["P"] }\n'
    )
    monkeypatch.setattr("sys.stdin", _Stdin(BAD.encode()))
    assert main(["check", "--stdin-filename", "in/x.csv", "-"]) == 0


def test_stdin_filename_on_fix_and_stats(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(project / "intl" / "p2pfile.toml", "allow-foreign = true\n")
    out = project / "out.csv"
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["fix", "--stdin-filename", "intl/f.csv", "-", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"intl/f.csv: 1 row in, 1 written to {out}")
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["fix", "-", "-o", str(out)]) == 2  # the root's: P203 rejects the row
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["stats", "--output-format", "json", "--stdin-filename", "intl/f.csv", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["sent"]) for f in data["files"]] == [("intl/f.csv", 1)]


def test_fix_diff_honours_the_per_file_ignores_of_the_stdin_filename(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(
        project / "pyproject.toml", '[tool.p2pfile]\nper-file-ignores = { "in/*.csv" = ["P203"] }\n'
    )
    out = project / "out.csv"
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["fix", "--stdin-filename", "in/f.csv", "--diff", "-", "-o", str(out)]) == 0
    assert capsys.readouterr().out == "nothing to fix\n"
    monkeypatch.setattr("sys.stdin", _Stdin(FOREIGN.encode()))
    assert main(["fix", "--stdin-filename", "out/f.csv", "--diff", "-", "-o", str(out)]) == 1
    assert capsys.readouterr().out.startswith("out/f.csv:2: rejected (P203)")


@pytest.mark.parametrize("command", ["check", "fix", "stats"])
def test_stdin_filename_without_dash_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "--stdin-filename", "x.csv", "clean.csv"]) == 2
    assert "--stdin-filename names standard input: give '-'" in capsys.readouterr().err


# --- 5. a file given twice is checked once ----------------------------------------------


@pytest.mark.parametrize(
    "paths",
    [["x.csv", "x.csv"], ["d", "d/x.csv"], ["d/x.csv", "./d/x.csv"], ["d/x.csv", "d/../d/x.csv"]],
)
def test_a_file_given_twice_is_checked_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    paths: list[str],
) -> None:
    _write(tmp_path / "x.csv", CLEAN)
    _write(tmp_path / "d" / "x.csv", CLEAN)
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--isolated", "--fail-on", "warning", "--output-format", "json"]
    assert main([*argv, *paths]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["diagnostics"] == []
    # Once, under the first spelling.
    assert [f["path"] for f in data["files"]] == ["d/x.csv" if paths[0] == "d" else paths[0]]


def test_api_check_counts_a_file_given_twice_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", CLEAN)
    report = check([path, str(path), tmp_path], isolated=True)
    assert [f.path for f in report.files] == [str(path)]
    assert report.frame.height == 0


def test_fix_and_stats_take_a_file_given_twice_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "x.csv", SPACED)
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--isolated", "x.csv", "./x.csv"]) == 0
    assert capsys.readouterr().out.count("x.csv: 1 row in") == 1
    assert main(["stats", "--isolated", "--output-format", "json", "x.csv", "./x.csv"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 1


def test_standard_input_twice_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(CLEAN.encode()))
    assert main(["check", "-", "-"]) == 2
    assert "'-' (standard input) can be read only once" in capsys.readouterr().err


def test_stdin_filename_must_not_name_a_file_also_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two inputs under one name would each be reported a duplicate (D103) of the other."""
    _write(tmp_path / "w.csv", BAD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    assert main(["check", "-", "--stdin-filename", "w.csv", "w.csv"]) == 2
    assert main(["check", "-", "--stdin-filename", " "]) == 2
