"""`p2pfile check` and `p2pfile rule` as a user (or pre-commit, or CI) runs them."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from p2pfile.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--isolated", str(EXAMPLES / "clean.csv")]) == 0
    assert "All checks passed" in capsys.readouterr().out


def test_findings_exit_1_with_path_line_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["check", "--isolated", "--output-format", "concise", str(EXAMPLES / "messy.csv")])
        == 1
    )
    lines = capsys.readouterr().out.splitlines()
    assert f"{EXAMPLES / 'messy.csv'}:7: P206 " in lines[8]
    assert lines[-1].startswith("Found ")


def test_exit_zero_and_fail_on_warning(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("recipient,message\n0935 123 4567,hi\n", encoding="utf-8")
    assert main(["check", "--isolated", str(path)]) == 0  # a warning only
    assert main(["check", "--isolated", "--fail-on", "warning", str(path)]) == 1
    assert main(["check", "--isolated", "--fail-on", "warning", "--exit-zero", str(path)]) == 0


def test_json_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["check", "--isolated", "--output-format", "json", "-o", str(out)]
    assert main([*args, str(EXAMPLES / "messy.csv")]) == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["errors"] > 0
    assert {d["code"] for d in data["diagnostics"]} >= {"P206", "D101", "M401"}


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"recipient,message\n09061234567,hi\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["check", "--isolated", "--output-format", "concise", "-"]) == 1
    assert capsys.readouterr().out.startswith("-:2: P205 ")


def test_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--isolated", "--statistics", str(EXAMPLES / "messy.csv")])
    out = capsys.readouterr().out
    assert "P206" in out
    assert "scientific-notation" in out


def test_github_format_masks_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--isolated", "--output-format", "github", str(EXAMPLES / "messy.csv")])
    out = capsys.readouterr().out
    assert out.startswith("::")
    assert "09061234567" not in out


def test_select_ignore_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.csv"
    path.write_text("recipient,message\n0935 123 4567,hi\n09061234567,hi\n", encoding="utf-8")
    main(["check", "--isolated", "--output-format", "concise", "--ignore", "P2", str(path)])
    out = capsys.readouterr().out
    assert "P102" in out
    assert "P205" not in out


def test_unknown_rule_in_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p2pfile.toml").write_text('ignore = ["P999"]\n', encoding="utf-8")
    path = tmp_path / "a.csv"
    path.write_text("recipient,message\n09121234567,hi\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "P999" in capsys.readouterr().err


def test_unknown_config_key_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p2pfile.toml").write_text("max_parts = 3\n", encoding="utf-8")
    path = tmp_path / "a.csv"
    path.write_text("recipient,message\n09121234567,hi\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "max_parts" in err
    assert "max-parts" in err


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02\x03" * 100, b"PK\x03\x04truncated", b"%PDF-1.4\n", b"x" * 1_000_000],
    ids=["empty", "binary", "truncated-zip", "pdf", "one-long-line"],
)
def test_broken_files_are_findings_not_tracebacks(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    assert main(["check", "--isolated", "--output-format", "concise", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.startswith(f"{path}:1: F")


def test_rule_explains_by_code_and_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "P205"]) == 0
    by_code = capsys.readouterr().out
    assert main(["rule", "unknown-prefix"]) == 0
    assert capsys.readouterr().out == by_code
    assert by_code.startswith("P205 unknown-prefix (error)")


def test_rule_all_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "--all", "--output-format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert len(rules) >= 40
    assert all(r["doc"] and r["name"] for r in rules)


def test_rule_unknown_exits_2() -> None:
    assert main(["rule", "Z999"]) == 2


def _hook(hook_id: str) -> dict[str, str]:
    """The hook's keys from .pre-commit-hooks.yaml (flat scalars; no YAML library needed)."""
    hooks: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for raw in (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            current = {}
            line = line[2:]
        key, _, value = line.strip().partition(":")
        current[key] = value.strip().strip("'")
        if key == "id":
            hooks[value.strip()] = current
    return hooks[hook_id]


def test_pre_commit_hook_entry_runs_on_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    """Run the hook as pre-commit would: its entry, then the matching file names."""
    import re

    hook = _hook("p2pfile-check")
    assert hook["require_serial"] == "true"
    pattern = re.compile(hook["files"])
    files = [str(p) for p in sorted(EXAMPLES.iterdir()) if pattern.search(p.name)]
    assert any(f.endswith(".csv") for f in files)
    assert not pattern.search("notes.txt")
    # Excel and Windows exporters write upper-case extensions; check dir/ takes them too.
    assert pattern.search("EXPORT.CSV")
    assert pattern.search("Book.XLSX")
    program, *args = shlex.split(hook["entry"])
    assert program == "p2pfile"
    assert main([*args, "--isolated", str(EXAMPLES / "clean.csv")]) == 0
    assert main([*args, "--isolated", *files]) == 1
    assert "messy.csv" in capsys.readouterr().out


def test_pre_commit_fix_hook_rewrites_csvs_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix hook as pre-commit runs it: the file is rewritten (pre-commit then fails
    the commit because a file changed), and a second run changes nothing."""
    import re

    hook = _hook("p2pfile-fix")
    assert hook["require_serial"] == "true"
    pattern = re.compile(hook["files"])
    assert pattern.search("to/jan.csv")
    assert pattern.search("to/JAN.CSV")
    assert not pattern.search("jan.xlsx")
    assert not pattern.search("JAN.XLSX")
    program, *args = shlex.split(hook["entry"])
    assert program == "p2pfile"
    sample = tmp_path / "jan.csv"
    sample.write_bytes(
        "\ufeffrecipient,message\r\n۰۹۱۲ ۳۴۵ ۶۷۸۹,سلام\r\n+98 912 345 6789,سلام\r\n".encode()
    )
    assert main([*args, "--isolated", str(sample)]) == 0
    fixed = sample.read_bytes()
    assert fixed == "recipient,message\n+989123456789,سلام\n".encode()
    assert "1 duplicate dropped" in capsys.readouterr().out
    assert main([*args, "--isolated", str(sample)]) == 0
    assert sample.read_bytes() == fixed


def test_real_json_reports_validate_against_the_shipped_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real output, every file-level fix included: each fixable finding says what its
    fix does (``fix.message`` is a non-empty string), as the schema requires."""
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    files = {
        "bom.csv": "\ufeffrecipient,message\r\n09121234567,hi\n".encode(),
        "cp1256.csv": "recipient,message\n09121234567,سلام\n".encode("cp1256"),
        "title.csv": b"Export 2024-03-01\nmobile,text\n09121234567,hi\n\n09121234568,hi\n",
        "semicolon.csv": b"recipient;message\n09121234567;hi\n",
        "no_header.csv": b"09121234567,hi\n",
        "wide.csv": b"Name,Mobile,Message\nAli,09121234567,hi\n",
        "messy.csv": (EXAMPLES / "messy.csv").read_bytes(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert main(["check", "--isolated", "--output-format", "json", str(tmp_path)]) == 1
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    fixable = {d["code"] for d in document["diagnostics"] if d["fix"] is not None}
    assert {"F103", "F104", "F105", "F201", "F202", "F203", "F206", "F208"} <= fixable


@pytest.mark.parametrize("fmt", ["github", "sarif", "gitlab", "junit"])
def test_outbound_formats_mask_numbers_quoted_by_whole_file_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """F201 quotes the first record and F202 the header: in a format that leaves the
    machine, the numbers in them are masked as row values are."""
    (tmp_path / "no_header.csv").write_text("09121000041,سلام\n", "utf-8")
    (tmp_path / "swapped.csv").write_text("سلام,۰۹۱۲۱۰۰۰۵۶۱\nدرود,09121000562\n", "utf-8")
    main(["check", "--isolated", "--output-format", fmt, str(tmp_path)])
    out = capsys.readouterr().out
    for number in ("09121000041", "۰۹۱۲۱۰۰۰۵۶۱", "09121000562"):
        assert number not in out
    assert "0912***0041" in out
    main(["check", "--isolated", "--output-format", fmt, "--no-redact", str(tmp_path)])
    assert "09121000041" in capsys.readouterr().out


def test_fix_exits_as_a_check_of_its_output_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two messages to one recipient (D102) is a warning no fix removes: fix must not
    fail where check passes, or `fix -o out.csv && upload` could never run."""
    path = tmp_path / "two.csv"
    path.write_text("recipient,message\n09121234567,hi\n09121234567,bye\n", "utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    argv = ["fix", str(path), "-o", str(out), "--rejects", str(rejects)]
    assert main([*argv, "--isolated"]) == 0
    assert "  1 warning remains: run p2pfile check on the output" in capsys.readouterr().out
    assert main(["check", "--isolated", str(out)]) == 0
    # fail-on = "warning" in the project's config: both fail.
    (tmp_path / "p2pfile.toml").write_text('fail-on = "warning"\n', "utf-8")
    assert main(argv) == 1
    assert main(["check", str(out)]) == 1
    capsys.readouterr()
    # An error that stays (in place, a row no fix can save): 1, and the summary says so.
    (tmp_path / "p2pfile.toml").unlink()
    path.write_text("recipient,message\n09121234567,hi\n0912,hi\n09121234567,bye\n", "utf-8")
    assert main(["fix", "--isolated", str(path)]) == 1
    summary = capsys.readouterr().out
    assert "  1 error, 1 warning remain: run p2pfile check on the output" in summary


def test_fix_says_plainly_when_no_row_can_be_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sci.csv"
    path.write_text("recipient,message\n9.12346E+09,hi\n9.35123E+09,hi\n", "utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    assert main(["fix", "--isolated", str(path), "-o", str(out), "--rejects", str(rejects)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"  no row can be sent: {out} holds only the header"
    assert lines[2] == f"  rejected rows are in {rejects} (P206 x2)"


def test_a_file_with_nothing_to_send_promises_no_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fix refuses a file with no data (F106), so check must not count its BOM (F104) or
    blank records (F206) as fixable."""
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf")
    (tmp_path / "header.csv").write_bytes(b"recipient,message\n\n")
    assert main(["check", "--isolated", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "[*]" not in out
    assert "fixable" not in out.splitlines()[-1]


def test_a_file_name_that_is_not_utf8_is_checked_fixed_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """unzip gives a zip made on Persian Windows cp1256 names: Python hands them over with
    surrogates, which no UTF-8 output holds. Reports show the odd bytes as escapes."""
    name = os.fsdecode(b"list_\xe3\xed.csv")
    path = tmp_path / name
    path.write_text("recipient,message\n09121234567,hi\n09121234567,hi\n", "utf-8")
    shown = str(tmp_path / "list_\\xe3\\xed.csv")
    assert main(["check", "--isolated", "--output-format", "json", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files"][0]["path"] == shown
    assert {d["path"] for d in report["diagnostics"]} == {shown}
    assert main(["check", "--isolated", str(path)]) == 1
    assert f"{shown}:3: D101" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["fix", "--isolated", str(path), "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == shown
    assert main(["stats", "--isolated", "--output-format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["path"] == shown


# --------------------------------------------------------------------------- output safety


def test_check_refuses_to_write_its_report_over_a_file_it_checks(tmp_path: Path) -> None:
    """``fix -o`` is the fixed file, ``check -o`` the report: the slip must not cost the
    recipient list."""
    src = tmp_path / "list.csv"
    src.write_bytes((EXAMPLES / "messy.csv").read_bytes())
    before = src.read_bytes()
    assert main(["check", "--isolated", str(src), "-o", str(src)]) == 2
    assert main(["check", "--isolated", str(tmp_path), "-o", str(tmp_path / "." / "list.csv")]) == 2
    assert src.read_bytes() == before


def test_a_report_written_into_a_checked_directory_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "clean.csv").write_bytes((EXAMPLES / "clean.csv").read_bytes())
    assert main(["check", "--isolated", str(tmp_path), "-o", str(tmp_path / "report.csv")]) == 0
    assert "inside a checked directory" in capsys.readouterr().err


def test_a_directory_without_recipient_files_gives_an_empty_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ruff: a warning and exit 0; a CI step that uploads the SARIF file finds one."""
    sarif = tmp_path / "out.sarif"
    (tmp_path / "data").mkdir()
    assert (
        main(["check", str(tmp_path / "data"), "--output-format", "sarif", "-o", str(sarif)]) == 0
    )
    assert "no CSV or XLSX files found" in capsys.readouterr().err
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", ["json", "json-lines", "full"])
def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path: Path, fmt: str) -> None:
    """``p2pfile check big.csv --output-format json | head -1``: polars' writers report a
    closed pipe as a plain OSError, which must not read as an internal error."""
    src = tmp_path / "big.csv"
    src.write_text(
        "recipient,message\n" + "".join(f"91{i:08d},hi\n" for i in range(20_000)), encoding="utf-8"
    )
    # Every finding shown (--show-rows), so the output is far larger than a pipe's
    # buffer and the reader surely leaves first: the human format showed 3 KB, which
    # a fast writer could finish before the close (then exit 0: warnings only).
    argv = ["check", "--isolated", "--output-format", fmt, "--show-rows", "100000", str(src)]
    # Python's own buffering, as a user's shell runs it (PYTHONUNBUFFERED hid the
    # exit 120 and "internal error" of a pipe closed while the buffer was full).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "p2pfile", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux's always-full device")
def test_a_full_disk_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_text("recipient,message\n" + "9121234567,hi\n" * 2000, encoding="utf-8")
    for fmt in ("json", "full"):
        argv = ["check", "--isolated", "--no-progress", str(src), "--output-format", fmt]
        with open("/dev/full", "w", encoding="utf-8") as full:
            proc = subprocess.run(
                [sys.executable, "-m", "p2pfile", *argv],
                stdout=full,
                stderr=subprocess.PIPE,
                check=False,
            )
        err = proc.stderr.decode()
        assert proc.returncode == 2
        assert err == "p2pfile: error: cannot write the output: No space left on device\n"


def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("p2pfile.cli.check_files", interrupted)
    assert main(["check", "--isolated", str(EXAMPLES / "clean.csv")]) == 130
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("github", "file=data/list.csv,line=3"),
        ("gitlab", '"path": "data/list.csv"'),
        ("sarif", '"uri": "data/list.csv"'),
        ("junit", 'classname="data/list.csv"'),
    ],
)
def test_ci_formats_give_paths_from_the_repository_root(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    expected: str,
) -> None:
    """A job in a subdirectory, or a path with '..': the annotation must still land on
    the file, which CI systems resolve against the checkout."""
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    (repo / "scripts").mkdir()
    (repo / "data" / "list.csv").write_bytes((EXAMPLES / "messy.csv").read_bytes())
    monkeypatch.chdir(repo / "scripts")
    assert main(["check", "--isolated", "--output-format", fmt, "../data/list.csv"]) == 1
    out = capsys.readouterr().out
    assert expected in out.replace('"path":"', '"path": "').replace('"uri":"', '"uri": "')
    assert "../data" not in out
    # A workspace the job does not run in (actions/checkout's path:): the work tree.
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "elsewhere"))
    assert main(["check", "--isolated", "--output-format", fmt, "../data/list.csv"]) == 1
    assert "../data" not in capsys.readouterr().out
    # The workspace the job runs in wins over the work tree (no .git needed).
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo / "scripts"))
    (repo / "scripts" / "own.csv").write_bytes((EXAMPLES / "messy.csv").read_bytes())
    assert main(["check", "--isolated", "--output-format", fmt, "own.csv"]) == 1
    assert "scripts/own.csv" not in capsys.readouterr().out


def test_check_refuses_a_hard_link_to_a_checked_file_as_output(tmp_path: Path) -> None:
    src = tmp_path / "list.csv"
    src.write_bytes((EXAMPLES / "messy.csv").read_bytes())
    os.link(src, tmp_path / "hard.csv")
    assert main(["check", "--isolated", str(src), "-o", str(tmp_path / "hard.csv")]) == 2
    assert src.read_bytes() == (EXAMPLES / "messy.csv").read_bytes()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_report_of_a_private_file_is_private(tmp_path: Path) -> None:
    """A report quotes numbers and messages: it is readable by no one the file is not."""
    src = tmp_path / "list.csv"
    src.write_bytes((EXAMPLES / "messy.csv").read_bytes())
    src.chmod(0o600)
    old = tmp_path / "old.txt"
    old.write_text("an earlier report", encoding="utf-8")
    old.chmod(0o644)
    for report in (tmp_path / "new.txt", old):
        assert main(["check", "--isolated", str(src), "-o", str(report)]) == 1
        assert report.stat().st_mode & 0o777 == 0o600
